import { describe, expect, it } from 'vitest';
import { CloudFormationResolver, UnresolvableError, type StackTemplates } from '../../infra/local/iam/cloudformation-resolver.ts';
import { DEFAULT_LOCAL_ACCOUNT } from '../../infra/local/iam/local-arns.ts';

/** Two stacks shaped like vidp's: data in one, exported to the other, which names some resources itself. */
const TEMPLATES: StackTemplates = {
  data: {
    Resources: {
      MediaBucketBCBB02BA: { Type: 'AWS::S3::Bucket', Properties: {} },
      VideosTable19B3D0C4: { Type: 'AWS::DynamoDB::Table', Properties: {} },
    },
    Outputs: {
      ExportBucketArn: {
        Value: { 'Fn::GetAtt': ['MediaBucketBCBB02BA', 'Arn'] },
        Export: { Name: 'data:ExportsOutputFnGetAttMediaBucketArn' },
      },
      ExportTableName: { Value: { Ref: 'VideosTable19B3D0C4' }, Export: { Name: { 'Fn::Join': [':', [{ Ref: 'AWS::StackName' }, 'TableName']] } } },
    },
  },
  app: {
    Parameters: { BootstrapVersion: { Default: '/cdk-bootstrap/hnb659fds/version' } },
    Resources: {
      PipelineRoleD68726F7: { Type: 'AWS::IAM::Role', Properties: {} },
      PipelineStateMachine1814BD05: { Type: 'AWS::StepFunctions::StateMachine', Properties: { StateMachineName: 'vidp-dev-pipeline' } },
      TaskDefinition208024EE: { Type: 'AWS::ECS::TaskDefinition', Properties: { Family: 'vidp-dev-transcode' } },
      Events: { Type: 'AWS::Events::EventBus', Properties: { Name: { 'Fn::Sub': '${AWS::StackName}-events' } } },
      Logs: { Type: 'AWS::Logs::LogGroup', Properties: {} },
    },
  },
};

const resolver = new CloudFormationResolver(TEMPLATES, {
  account: DEFAULT_LOCAL_ACCOUNT,
  nameFor: ({ logicalId }) => (logicalId === 'MediaBucketBCBB02BA' ? 'vidp-local-media' : undefined),
});
const resolve = (value: unknown) => resolver.resolve('app', value);

describe('CloudFormationResolver', () => {
  it('resolves a cross-stack import to the exporting stack’s value, joined with the rest of the ARN', () => {
    const objects = { 'Fn::Join': ['', [{ 'Fn::ImportValue': 'data:ExportsOutputFnGetAttMediaBucketArn' }, '/uploads/*']] };

    expect(resolve(objects)).toBe('arn:aws:s3:::vidp-local-media/uploads/*');
  });

  it('resolves an export whose name is itself an intrinsic', () => {
    expect(resolve({ 'Fn::ImportValue': 'data:TableName' })).toBe('data-VideosTable');
  });

  it('fills pseudo parameters with the local partition, region, account and URL suffix', () => {
    const join = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':x']] };

    expect(resolve(join)).toBe('arn:aws:ecs:us-east-1:000000000000:x');
    expect(resolve({ 'Fn::Sub': '${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/repo' })).toBe(
      '000000000000.dkr.ecr.us-east-1.amazonaws.com/repo',
    );
  });

  it('keeps the names the template gives, and gives unnamed resources the caller’s name or {stack}-{id}', () => {
    expect(resolve({ Ref: 'PipelineStateMachine1814BD05' })).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:vidp-dev-pipeline');
    expect(resolve({ 'Fn::GetAtt': ['PipelineRoleD68726F7', 'Arn'] })).toBe('arn:aws:iam::000000000000:role/app-PipelineRole');
    expect(resolve({ 'Fn::GetAtt': ['Events', 'Arn'] })).toBe('arn:aws:events:us-east-1:000000000000:event-bus/app-events');
    expect(resolver.isNamedByTemplate('app', 'PipelineStateMachine1814BD05')).toBe(true);
    expect(resolver.isNamedByTemplate('data', 'MediaBucketBCBB02BA')).toBe(false);
  });

  it('answers Ref as each resource type does: a task definition’s ARN (revision 1), a log group’s name', () => {
    expect(resolve({ Ref: 'TaskDefinition208024EE' })).toBe('arn:aws:ecs:us-east-1:000000000000:task-definition/vidp-dev-transcode:1');
    expect(resolve({ Ref: 'Logs' })).toBe('app-Logs');
    expect(resolve({ 'Fn::GetAtt': 'Logs.Arn' })).toBe('arn:aws:logs:us-east-1:000000000000:log-group:app-Logs:*');
  });

  it('evaluates Fn::Sub references to resources and attributes, its own variables, and leaves ${!Literal} literal', () => {
    const sub = { 'Fn::Sub': ['${PipelineRoleD68726F7.Arn}|${PipelineRoleD68726F7}|${name}|${!Keep}', { name: { Ref: 'Logs' } }] };

    expect(resolve(sub)).toBe(
      'arn:aws:iam::000000000000:role/app-PipelineRole|app-PipelineRole|app-Logs|${Keep}',
    );
  });

  it('selects from a split string, drops AWS::NoValue, and reads a parameter’s default', () => {
    expect(resolve({ 'Fn::Select': [1, { 'Fn::Split': ['/', 'a/b/c'] }] })).toBe('b');
    expect(resolve({ A: 1, B: { Ref: 'AWS::NoValue' }, C: [{ Ref: 'AWS::NoValue' }, 2] })).toEqual({ A: 1, C: [2] });
    expect(resolve({ Ref: 'BootstrapVersion' })).toBe('/cdk-bootstrap/hnb659fds/version');
  });

  it('refuses what it does not model, naming it, instead of inventing a value', () => {
    expect(() => resolve({ 'Fn::GetAtt': ['PipelineRoleD68726F7', 'RoleId'] })).toThrow(/PipelineRoleD68726F7\.RoleId/);
    expect(() => resolve({ 'Fn::If': ['IsProd', 'a', 'b'] })).toThrow(/Fn::If/);
    expect(() => resolve({ 'Fn::ImportValue': 'nobody:exports-this' })).toThrow(/No stack exports/);
    expect(() => resolve({ Ref: 'NotInTheTemplate' })).toThrow(UnresolvableError);
  });
});
