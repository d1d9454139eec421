// What one step's sessions share: clients, the chosen task, timing knobs, and the KMS data-key answer.
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { Clock } from '../../../ports/clock.js';
import type { EcsTarget } from '../../../runbook/model.js';
import type { DataKeyProvider } from '../session/session-protocol.js';
import type { SelectedTask } from './task-selection.js';
import { EXECUTOR_STOP_MS } from '../../../run/cancel-budget.js';

export interface SessionTuning {
  /** Watchdog for a data channel that never opens (above the agent's 15 s handshake limit). */
  openTimeoutMs: number;
  /** Send a keep-alive line after this much time without input (the ECS Exec idle timeout is 20 min). */
  keepAliveMs: number;
  /** From a stop request to a confirmed end; inside the orchestrator's wait for a cancelled step (src/run/cancel-budget.ts). */
  stopBudgetMs: number;
  /** After the exit record: time for the runner to remove its directory before the socket closes. */
  cleanupMs: number;
  stoppingCleanupMs: number;
  /** Give up after this many attaches in a row that never reached the runner. */
  maxFailedAttaches: number;
  /** Delay before the n-th re-attach (the last value repeats). */
  reconnectDelaysMs: number[];
  /** Flow-control window: bytes of output in flight or waiting for the audit log. */
  windowBytes: number;
}

export const DEFAULT_TUNING: SessionTuning = {
  openTimeoutMs: 30_000,
  keepAliveMs: 5 * 60_000,
  stopBudgetMs: EXECUTOR_STOP_MS,
  cleanupMs: 3_000,
  stoppingCleanupMs: 300,
  maxFailedAttaches: 5,
  reconnectDelaysMs: [250, 500, 1_000, 2_000, 5_000],
  windowBytes: 2 * 1024 * 1024,
};

export interface KmsUse {
  keyId?: string;
  targetId?: string;
}

export interface EcsSessionContext {
  ecs: ECSClient;
  target: EcsTarget;
  task: SelectedTask;
  region: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  clock: Clock;
  /** Random once per executor, reused across reconnects (protocol doc 1.3). */
  clientId: string;
  tuning: SessionTuning;
  /** What the last KMS handshake used, for the error message when the agent cannot decrypt. */
  kms: KmsUse;
  dataKeyProvider(sessionId: string): DataKeyProvider;
  diagnostic?(text: string): void;
}
