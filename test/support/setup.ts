// aws-local-stepfunctions 3.x uses Promise.withResolvers, which Node gained in 22.
import '../../infra/local/polyfills.ts';
