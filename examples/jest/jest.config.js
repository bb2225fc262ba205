// Workers load the build on disk (npm test builds first): a stale build fails the test file.
export default { preset: '@troupe/transformer/jest' };
