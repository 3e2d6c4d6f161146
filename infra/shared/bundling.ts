/**
 * How every vidp bundle is built, whether CDK bundles a Lambda (infra/aws/constructs/vidp-function.ts) or the
 * image build and the local cloud bundle the worker (containers/ffmpeg/build.ts): one ES module for Node.
 * Plain data, in esbuild's own option names, so it needs neither esbuild nor aws-cdk-lib to be read.
 */
export const NODE_ESM_BUNDLE = {
  platform: 'node',
  format: 'esm',
  // Bundled CommonJS dependencies (parts of the AWS SDK) call require(); an ES module has none.
  banner: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  // Error class names are the contract with the ASL (Retry/Catch match `SubtitlesNotReadyError` by name, and
  // AppError takes `name` from the class). Minifying would rename them, and esbuild renames classes whose names
  // collide across modules (it does so to the SDK's InvalidToken in the worker): keepNames keeps every `.name`.
  keepNames: true,
} as const;
