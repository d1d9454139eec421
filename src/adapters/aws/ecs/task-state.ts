// Remembers one-off tasks in the action's state (core.saveState) while they run, so the `post:` step can stop
// a task the main step could not (the job was cancelled and the process killed before dispose()).
import type { ECSClient } from '@aws-sdk/client-ecs';
import { errorText } from '../../../run/error-text.js';
import { stopEphemeralTask } from './ephemeral-task.js';

export const ECS_TASKS_STATE = 'opsgate-ecs-tasks';

export interface LiveTask {
  region: string;
  cluster: string;
  taskArn: string;
}

export interface TaskStateHook {
  started(task: LiveTask): void;
  stopped(taskArn: string): void;
}

type SaveState = (name: string, value: string) => void;
type GetState = (name: string) => string;

// One list per process, like the runner's state file itself.
const live = new Map<string, LiveTask>();

export function actionTaskState(saveState: SaveState): TaskStateHook {
  const save = () => saveState(ECS_TASKS_STATE, JSON.stringify([...live.values()]));
  return {
    started: (task) => {
      live.set(task.taskArn, task);
      save();
    },
    stopped: (taskArn) => {
      live.delete(taskArn);
      save();
    },
  };
}

/** For the post: step: stop every one-off task the main step left behind. Never throws. */
export async function stopLeftoverEcsTasks(getState: GetState, ecsFor: (region: string) => ECSClient, log: { info(m: string): void; warning(m: string): void }): Promise<void> {
  let tasks: LiveTask[];
  try {
    tasks = JSON.parse(getState(ECS_TASKS_STATE) || '[]') as LiveTask[];
  } catch {
    return log.warning(`opsgate: the saved list of one-off ECS tasks is unreadable; check the cluster for tasks started by "opsgate".`);
  }
  for (const task of tasks) {
    try {
      await stopEphemeralTask(ecsFor(task.region), task.cluster, task.taskArn, 'opsgate post step: the job ended before the run stopped this task');
      log.info(`opsgate: stopped one-off ECS task ${task.taskArn} left by the interrupted run.`);
    } catch (error) {
      log.warning(`opsgate: could not stop one-off ECS task ${task.taskArn} in cluster ${task.cluster}: ${errorText(error)}. Stop it by hand (aws ecs stop-task).`);
    }
  }
}
