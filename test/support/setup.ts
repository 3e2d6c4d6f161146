// aws-local-stepfunctions 3.x uses Promise.withResolvers, which Node gained in 22.
import '../../infra/local/polyfills.ts';
// toHaveReceivedCommandWith & co. for aws-sdk-client-mock, in every test file.
import 'aws-sdk-client-mock-vitest/extend';
