// Builds the ECS Exec executor for one target from the clients the composition root hands in.
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { Clock } from '../../../ports/clock.js';
import type { StepExecutor } from '../../../ports/executor.js';
import type { EcsTarget } from '../../../runbook/model.js';
import { kmsDataKeyGenerator } from '../kms-data-key.js';
import { EcsExecutor } from './ecs-executor.js';
import type { TaskStateHook } from './task-state.js';

export interface EcsClients {
  region: string;
  ecs: ECSClient;
  kms: KMSClient;
  clock: Clock;
  taskState?: TaskStateHook;
}

export function createEcsExecutor(target: EcsTarget, clients: EcsClients): StepExecutor {
  return new EcsExecutor(target, {
    ecs: clients.ecs,
    clock: clients.clock,
    region: clients.region,
    generateDataKey: kmsDataKeyGenerator(clients.kms),
    ...(clients.taskState ? { taskState: clients.taskState } : {}),
  });
}
