// The queue engine's commands, registered on the `depot` program by src/cli/main.ts.
import type { Command } from 'commander';
import { consumeCommand } from './consume.js';
import { groupCommand } from './group.js';
import { messageCommand } from './message.js';
import { sendCommand } from './send.js';
import { topicCommand } from './topic.js';

export function registerQueueCommands(program: Command): void {
  program.addCommand(topicCommand());
  program.addCommand(sendCommand());
  program.addCommand(consumeCommand());
  program.addCommand(groupCommand());
  program.addCommand(messageCommand());
}
