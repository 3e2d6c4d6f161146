import { Stack, Validations } from 'aws-cdk-lib';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges cdk-nag's AwsSolutions-IAM5 finding for one deliberately wildcarded resource ARN (an object
 * key prefix, a task-definition family, a state machine's executions), and only that one: any other
 * wildcard in the same policy still fails synthesis.
 *
 * cdk-nag names the finding after the ARN as the template spells it, and a value from the stateful stack
 * is only spelled (as an Fn::ImportValue) once CDK has resolved cross-stack references. So the finding's
 * ID is computed then, in a construct validation, which CDK runs after resolving references and before
 * the policy plugins read the acknowledgements.
 */
export function acknowledgeWildcardResource(scope: IConstruct, resourceArn: string, reason: string): void {
  scope.node.addValidation({
    validate: () => {
      const asInTemplate = flattenCfnReference(Stack.of(scope).resolve(resourceArn));
      Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${asInTemplate}]`, reason });
      return [];
    },
  });
}
