export default { preset: '@troupe/transformer/jest' };
