import { describe, expect, it } from 'vitest';
import type { IamSources } from '../../infra/local/iam/synthesize-app.ts';
import { LocalNameConflictError, resolveLocalIamModel } from '../../infra/local/iam/synthesized-policies.ts';

/** Synthesized sources in miniature: one function, the pipeline's roles, each way a policy reaches a role. */
const ref = (logicalId: string) => ({ stackName: 'app', logicalId });
const allow = (Action: string, Resource: unknown) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action, Resource }] });

function sources(bucketProperties: Record<string, unknown> = {}): IamSources {
  return {
    templates: {
      app: {
        Resources: {
          Bucket: { Type: 'AWS::S3::Bucket', Properties: bucketProperties },
          Table: { Type: 'AWS::DynamoDB::Table' },
          Cluster: { Type: 'AWS::ECS::Cluster' },
          Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'vidp-dev-events' } },
          Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { StateMachineName: 'vidp-dev-pipeline' } },
          Fn: { Type: 'AWS::Lambda::Function' },
          FnRole: {
            Type: 'AWS::IAM::Role',
            Properties: {
              Policies: [{ PolicyName: 'inline', PolicyDocument: allow('dynamodb:GetItem', { 'Fn::GetAtt': ['Table', 'Arn'] }) }],
              ManagedPolicyArns: [
                { Ref: 'Managed' },
                { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']] },
              ],
            },
          },
          FnRolePolicy: {
            Type: 'AWS::IAM::Policy',
            Properties: {
              PolicyName: 'FnRolePolicy',
              Roles: [{ Ref: 'FnRole' }],
              PolicyDocument: allow('s3:GetObject', { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Bucket', 'Arn'] }, '/uploads/*']] }),
            },
          },
          Managed: { Type: 'AWS::IAM::ManagedPolicy', Properties: { PolicyDocument: allow('sqs:SendMessage', '*') } },
          MachineRole: { Type: 'AWS::IAM::Role' },
          TaskRole: { Type: 'AWS::IAM::Role' },
          ExecutionRole: { Type: 'AWS::IAM::Role' },
          RuleRole: { Type: 'AWS::IAM::Role' },
          TaskDefinition: {
            Type: 'AWS::ECS::TaskDefinition',
            Properties: {
              Family: 'vidp-dev-transcode',
              TaskRoleArn: { 'Fn::GetAtt': ['TaskRole', 'Arn'] },
              ExecutionRoleArn: { 'Fn::GetAtt': ['ExecutionRole', 'Arn'] },
              Tags: [{ Key: 'app', Value: 'vidp' }],
            },
          },
        },
      },
    },
    functions: { health: { module: 'functions/api/health.ts', function: ref('Fn'), role: ref('FnRole') } },
    roles: { stateMachine: ref('MachineRole'), ecsTask: ref('TaskRole'), ecsExecution: ref('ExecutionRole'), sourceUploadedRule: ref('RuleRole') },
    resources: {
      mediaBucket: ref('Bucket'),
      videosTable: ref('Table'),
      stateMachine: ref('Machine'),
      cluster: ref('Cluster'),
      taskDefinition: ref('TaskDefinition'),
      eventBus: ref('Bus'),
    },
  };
}

describe('resolveLocalIamModel', () => {
  const model = resolveLocalIamModel(sources(), 'hash');

  it('gives each role every policy that reaches it: inline, attached through Roles, customer managed', () => {
    const role = model.roles['vidp-health-role']!;

    expect(role.policies.map((policy) => policy.name)).toEqual(['inline', 'FnRolePolicy', 'app-Managed']);
    expect(JSON.stringify(role.policies)).toContain('arn:aws:s3:::vidp-local-media/uploads/*');
    expect(JSON.stringify(role.policies)).toContain('arn:aws:dynamodb:us-east-1:000000000000:table/vidp-local-videos');
    expect(role.awsManagedPolicyArns).toEqual(['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']);
  });

  it('says which role each principal uses, by the role’s local name', () => {
    expect(model.principals).toEqual({
      functions: {
        health: {
          module: 'functions/api/health.ts',
          name: 'vidp-health',
          arn: 'arn:aws:lambda:us-east-1:000000000000:function:vidp-health',
          roleName: 'vidp-health-role',
        },
      },
      stateMachine: 'vidp-pipeline-role',
      ecsTask: 'vidp-transcode-task-role',
      ecsExecution: 'vidp-transcode-execution-role',
      sourceUploadedRule: 'vidp-source-uploaded-rule-role',
    });
  });

  it('names the resources as the local cloud must, keeping the names the app sets', () => {
    expect(model.resources).toMatchObject({
      mediaBucket: { name: 'vidp-local-media', arn: 'arn:aws:s3:::vidp-local-media' },
      stateMachine: { name: 'vidp-dev-pipeline' },
      cluster: { arn: 'arn:aws:ecs:us-east-1:000000000000:cluster/vidp-local' },
      taskDefinition: {
        family: 'vidp-dev-transcode',
        arn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/vidp-dev-transcode:1',
        taskRoleArn: 'arn:aws:iam::000000000000:role/vidp-transcode-task-role',
        tags: [{ key: 'app', value: 'vidp' }],
      },
    });
  });

  it('takes other names for what the app leaves unnamed', () => {
    const renamed = resolveLocalIamModel(sources(), 'hash', { names: { mediaBucket: 'media', roleName: (part) => `r-${part}` } });

    expect(renamed.resources.mediaBucket.name).toBe('media');
    expect(renamed.principals.functions.health!.roleName).toBe('r-health');
  });

  it('refuses a local name for a resource the app names itself: its policies spell that name', () => {
    expect(() => resolveLocalIamModel(sources({ BucketName: 'vidp-dev-media' }), 'hash', { names: { mediaBucket: 'media' } })).toThrow(
      LocalNameConflictError,
    );
    expect(resolveLocalIamModel(sources({ BucketName: 'vidp-dev-media' }), 'hash').resources.mediaBucket.name).toBe('vidp-dev-media');
  });
});
