// The one command parser: known commands only, /cmd@bot addressing, paths and unknown words stay text.
import { describe, expect, it } from 'vitest';
import { parseCommand, COMMAND_NAMES } from '../../../gateway/src/channels/commands/parser.js';

describe('parseCommand', () => {
  it('knows every command of the issue', () => {
    expect([...COMMAND_NAMES].sort()).toEqual(['approve', 'deny', 'help', 'model', 'new', 'reset', 'resume', 'retry', 'status', 'stop', 'title', 'undo', 'usage'].sort());
    for (const name of COMMAND_NAMES) expect(parseCommand(`/${name}`)).toEqual({ name, args: '' });
  });

  it('reads arguments, any case, and /cmd@bot for this bot only', () => {
    expect(parseCommand('  /TITLE  Trip to Rome ')).toEqual({ name: 'title', args: 'Trip to Rome' });
    expect(parseCommand('/status@my_bot', 'my_bot')).toEqual({ name: 'status', args: '' });
    expect(parseCommand('/status@other_bot', 'my_bot')).toBeUndefined();
    expect(parseCommand('/approve —always')).toEqual({ name: 'approve', args: '--always' });
  });

  it('leaves everything else to the agent', () => {
    for (const text of ['hello', '/usr/bin/env', '/unknown thing', 'please /status', '/status/x', '']) expect(parseCommand(text)).toBeUndefined();
  });
});
