export const LABEL = 'label';
console.log('program code: must not run in a worker');
