// aws-local-stepfunctions 3.x uses Promise.withResolvers, which Node gained in 22.
import '../../infra/local/polyfills.ts';
// toHaveReceivedCommandWith & co. for aws-sdk-client-mock, in every test file.
import 'aws-sdk-client-mock-vitest/extend';
// Powertools Metrics prints EMF lines on stdout whatever LOG_LEVEL says; the metrics tests turn it back on.
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
