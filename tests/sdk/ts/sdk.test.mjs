// The TypeScript Agent SDK (@qoder-ai/qoder-agent-sdk from npm) drives
// `ferrule` (FERRULE_BIN) with a scripted model, under Node's test runner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  mkdtempSync, mkdirSync, writeFileSync, existsSync, readFileSync, realpathSync, statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const sdkDir = process.env.FERRULE_SDK_NPM ?? '/var/cache/ferrule/npm-sdk';
const { query, accessToken } = await import(
  join(sdkDir, 'node_modules/@qoder-ai/qoder-agent-sdk/dist/index.js'));
const bin = process.env.FERRULE_BIN ?? 'ferrule';

function sandbox(turns) {
  const root = mkdtempSync(join(tmpdir(), 'ferrule-ts-'));
  const project = join(root, 'project');
  const home = join(root, 'home');
  mkdirSync(project);
  mkdirSync(home);
  const script = join(root, 'script.json');
  writeFileSync(script, JSON.stringify({ turns }));
  const options = {
    pathToQoderCLIExecutable: bin,
    cwd: project,
    auth: accessToken('dummy-token'),
    model: `scripted/${script}`,
    env: { ...process.env, HOME: home, FERRULE_HOME: home, QODER_CONFIG_DIR: home },
  };
  return { project, options };
}

const text = (t) => ({ blocks: [{ type: 'text', text: t }] });
const toolUse = (name, input) => ({ blocks: [{ type: 'tool_use', id: 'call_1', name, input }] });

async function collect(prompt, options) {
  const messages = [];
  for await (const message of query({ prompt, options })) messages.push(message);
  return messages;
}

test('query yields init, the answer and one success result', async () => {
  const { options } = sandbox([text('4')]);
  const messages = await collect('What is 2 + 2?', options);
  const init = messages[0];
  assert.equal(init.type, 'system');
  assert.equal(init.subtype, 'init');
  assert.equal(init.protocol_version, '1.4.0');
  const results = messages.filter((m) => m.type === 'result');
  assert.equal(results.length, 1);
  assert.equal(results[0].subtype, 'success');
  assert.equal(results[0].result, '4');
  assert.equal(results[0].session_id, init.session_id);
});

test('canUseTool deny keeps the file from being written', async () => {
  const { project, options } = sandbox([
    toolUse('Write', { file_path: 'denied.txt', content: 'x' }),
    text('ok'),
  ]);
  const asked = [];
  options.canUseTool = async (toolName, input, { toolUseID }) => {
    asked.push([toolName, toolUseID]);
    return { behavior: 'deny', message: 'not now' };
  };
  const messages = await collect('write it', options);
  assert.deepEqual(asked, [['Write', 'call_1']]);
  assert.equal(existsSync(join(project, 'denied.txt')), false);
  const result = messages.at(-1);
  assert.equal(result.type, 'result');
  assert.deepEqual(result.permission_denials.map((d) => d.tool_use_id), ['call_1']);
});

test('canUseTool allow runs the tool', async () => {
  const { project, options } = sandbox([
    toolUse('Write', { file_path: 'allowed.txt', content: 'yes' }),
    text('done'),
  ]);
  options.canUseTool = async (toolName, input) => ({ behavior: 'allow', updatedInput: input });
  const messages = await collect('write it', options);
  assert.equal(existsSync(join(project, 'allowed.txt')), true);
  assert.equal(messages.at(-1).result, 'done');
});

// A session kept open by a prompt stream that ends when `finish` is called;
// `next(pred)` reads messages until one matches.
function session(options) {
  let finish;
  const closed = new Promise((resolve) => { finish = resolve; });
  async function* prompt() {
    yield { type: 'user', session_id: '', parent_tool_use_id: null,
            message: { role: 'user', content: 'hello' } };
    await closed;
  }
  const q = query({ prompt: prompt(), options });
  const seen = [];
  async function next(pred) {
    for (;;) {
      const { value, done } = await q.next();
      if (done) throw new Error(`the stream ended; saw ${JSON.stringify(seen.map((m) => m.type))}`);
      seen.push(value);
      if (pred(value)) return value;
    }
  }
  return { q, next, finish };
}

test('generateSessionTitle, setGoalMaxTurns and the goal loop', async () => {
  const { options } = sandbox([text('hi'), text('Fix the login bug'), text('still working')]);
  const { q, next, finish } = session(options);
  try {
    await next((m) => m.type === 'result');
    assert.equal(await q.generateSessionTitle('users cannot log in', { persist: true }),
      'Fix the login bug');
    assert.equal(await q.setGoalMaxTurns(1), 1);
    const goal = await q.setGoal({ objective: 'fix login' });
    assert.equal(goal.status, 'active');
    assert.equal(goal.max_turns, 1);
    assert.equal(typeof goal.created_at, 'number');
    const paused = await next((m) => m.type === 'system' && m.subtype === 'goal_updated'
      && m.goal.status !== 'active');
    assert.equal(paused.goal.status, 'paused');
    assert.equal(paused.reason, 'max_turns');
    assert.equal(paused.goal.turns_used, 1);
    assert.equal(await q.setGoalMaxTurns(null), 20);
    assert.equal(await q.clearGoal(), true);
    assert.equal(await q.getGoal(), null);
  } finally {
    finish();
  }
});

test('addDirectories, seedReadState, reloadPlugins and reloadSkills', async () => {
  const { project, options } = sandbox([
    text('hi'),
    toolUse('Edit', { file_path: 'notes.txt', old_string: 'old', new_string: 'new' }),
    text('edited'),
  ]);
  options.permissionMode = 'acceptEdits';
  const outside = mkdtempSync(join(tmpdir(), 'ferrule-ts-dir-'));
  const notes = join(project, 'notes.txt');
  writeFileSync(notes, 'old text\n');
  const { q, next, finish } = session(options);
  try {
    await next((m) => m.type === 'result');
    const added = await q.addDirectories([outside, join(project, 'missing')]);
    assert.deepEqual(added.added, [realpathSync(outside)]);
    assert.deepEqual(added.directories, [realpathSync(outside)]);
    assert.equal(added.failed.length, 1);
    assert.match(added.failed[0].error, /does not exist/);
    const mtime = Math.floor(statSync(notes).mtimeMs);
    await assert.rejects(q.seedReadState('notes.txt', mtime - 5000), /changed since/);
    await q.seedReadState('notes.txt', mtime);
    const reloaded = await q.reloadPlugins();
    assert.deepEqual(reloaded.plugins, []);
    assert.equal(reloaded.error_count, 0);
    assert.deepEqual((await q.reloadSkills()).skills, []);
    // The reload kept the seeded read state: Edit accepts the file.
    await q.streamInput((async function* () {
      yield { type: 'user', session_id: '', parent_tool_use_id: null,
              message: { role: 'user', content: 'edit it' } };
    })());
    const result = await next((m) => m.type === 'result');
    assert.equal(result.result, 'edited');
    assert.equal(readFileSync(notes, 'utf8'), 'new text\n');
  } finally {
    finish();
  }
});
