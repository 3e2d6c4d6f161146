import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Match, Rule, type IEventBus } from 'aws-cdk-lib/aws-events';
import { SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SOURCE_UPLOAD_KEY_WILDCARD } from '../../../functions/core/keys.ts';
import { readPipelineDefinition, substitutionsFor, taskStatesOf } from '../../shared/pipeline-definition.ts';
import { acknowledgeWildcardResource } from '../nag.ts';
import { permissionsForTasks, type TaskPermission } from '../workflow/asl-permissions.ts';
import type { TranscodeWorker } from './transcode-worker.ts';

export interface PipelineWorkflowProps {
  stateMachineName: string;
  bucket: IBucket;
  table: ITable;
  worker: TranscodeWorker;
  /** The Lambda tasks, by the placeholder that names each in the ASL (`PrepareSubtitlesFunctionArn`). */
  taskFunctions: Readonly<Record<string, IFunction>>;
  eventBus: IEventBus;
  logRetention: RetentionDays;
  logRemovalPolicy: RemovalPolicy;
}

/**
 * statemachine/pipeline.asl.json deployed as it is, inline in the template (tests read it there), with
 * every `${Placeholder}` filled; started by EventBridge when a source upload lands.
 */
export class PipelineWorkflow extends Construct {
  readonly stateMachine: StateMachine;
  readonly role: Role;
  /** Events EventBridge could not turn into an execution, after retrying for a day. */
  readonly undeliveredUploads: Queue;

  constructor(scope: Construct, id: string, props: PipelineWorkflowProps) {
    super(scope, id);
    const { bucket, table, worker, eventBus } = props;
    const definition = readPipelineDefinition();

    const functionArns = Object.fromEntries(Object.entries(props.taskFunctions).map(([name, fn]) => [name, fn.functionArn]));
    const substitutions = substitutionsFor(
      definition,
      {
        MediaBucket: bucket.bucketName,
        VideosTable: table.tableName,
        ...functionArns,
        ClusterArn: worker.cluster.clusterArn,
        TranscodeTaskDefinitionArn: worker.taskDefinition.taskDefinitionArn,
        WorkerContainerName: worker.container.containerName,
        SubnetA: worker.subnets[0].subnetId,
        SubnetB: worker.subnets[1].subnetId,
        WorkerSecurityGroupId: worker.securityGroup.securityGroupId,
        TranscodeCapacityProvider: worker.firstCapacityProvider,
        EventBusName: eventBus.eventBusName,
        EventBusArn: eventBus.eventBusArn,
      },
      'the CDK app (infra/aws/constructs/pipeline-workflow.ts)',
    );

    // The role allows what the Task states call, derived from the definition itself (see asl-permissions.ts).
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('states.amazonaws.com'),
      description: 'vidp pipeline: exactly the calls of the Task states in statemachine/pipeline.asl.json',
    });
    const permissions = permissionsForTasks(taskStatesOf(definition), {
      tables: { VideosTable: table.tableArn },
      buckets: { MediaBucket: bucket.bucketArn },
      functions: functionArns,
      taskDefinitions: {
        TranscodeTaskDefinitionArn: {
          familyArn: worker.taskDefinitionFamilyArn,
          clusterPlaceholder: 'ClusterArn',
          clusterArn: worker.cluster.clusterArn,
          passRoleArns: worker.passRoles.map((role) => role.roleArn),
          tasksArn: worker.cluster.arnForTasks('*'),
        },
      },
      eventBuses: { EventBusName: eventBus.eventBusArn, EventBusArn: eventBus.eventBusArn },
    });
    for (const permission of permissions) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          sid: statementId(permission),
          actions: permission.actions,
          resources: permission.resources,
          ...(permission.conditions ? { conditions: permission.conditions } : {}),
        }),
      );
      if (permission.wildcardReason !== undefined) {
        for (const resource of permission.resources) acknowledgeWildcardResource(this.role, resource, permission.wildcardReason);
      }
    }

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(definition),
      definitionSubstitutions: substitutions,
      role: this.role,
      tracingEnabled: true,
      logs: {
        // The /aws/vendedlogs/ prefix keeps CloudWatch Logs' resource policy from growing with every log group.
        destination: new LogGroup(this, 'Logs', {
          logGroupName: `/aws/vendedlogs/states/${props.stateMachineName}`,
          retention: props.logRetention,
          removalPolicy: props.logRemovalPolicy,
        }),
        // Every state transition is logged, but not the data: a Transcode state's input carries its task
        // token (in ContainerOverrides), which anyone reading the logs could use to report the task. The
        // execution's history in the console still shows each state's input and output.
        level: LogLevel.ALL,
        includeExecutionData: false,
      },
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Added by Step Functions for its own logging and tracing: the CloudWatch Logs delivery actions and X-Ray ' +
        'PutTraceSegments/PutTelemetryRecords/GetSampling* support no resource-level permissions.',
    });

    this.undeliveredUploads = new Queue(this, 'UndeliveredUploadEvents', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.undeliveredUploads).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself a dead-letter queue: the EventBridge target\'s, which cdk-nag does not recognise as one.',
    });

    new Rule(this, 'SourceUploaded', {
      description: 'A video source landed in the media bucket (uploads/{id}/source.{ext}): run the pipeline for it',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [bucket.bucketName] },
          // The subtitles uploaded beside the source must not start a run.
          object: { key: Match.wildcard(SOURCE_UPLOAD_KEY_WILDCARD) },
        },
      },
      targets: [
        new SfnStateMachine(this.stateMachine, {
          deadLetterQueue: this.undeliveredUploads,
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });
  }
}

/** Which states need it and what they call, e.g. "ClaimJobRecordResultUpdateItem": the policy reads against the ASL. */
function statementId(permission: TaskPermission): string {
  const verbs = permission.actions.map((action) => action.split(':')[1]);
  return [...permission.states, ...verbs].join('').replace(/[^A-Za-z0-9]/g, '');
}
