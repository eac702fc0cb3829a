import { describe, expect, it } from 'vitest';
import { WorkflowRunner } from '../../../functions/src/dev/workflows/runner.js';
import { recordingConnectors, runWorkflow } from './helpers.js';

async function succeeded(source: string, argument: unknown = null): Promise<unknown> {
  const result = await runWorkflow(source, argument);
  if (result.state !== 'SUCCEEDED') throw new Error(`expected success, got ${JSON.stringify(result.error)}`);
  return result.result;
}

describe('assign', () => {
  it('assigns variables, map keys (created on the way), list elements and nested targets in order', async () => {
    const result = await succeeded(`
main:
  params: [args]
  steps:
    - init:
        assign:
          - a: \${args.n}
          - m: {}
          - m.b: 1
          - m["c d"]: \${a * 2}
          - m.x.y.z: "deep"
          - l: [0, [10, 20], 2]
          - l[0]: first
          - i: 1
          - l[i][i - 1]: 11
          - key: "dyn"
          - m[key + "amic"]: true
          - copy: \${m}
          - copy.b: 99
    - done:
        return: ["\${m}", "\${l}", "\${copy.b}"]
`, { n: 21 });
    expect(result).toEqual([{ b: 1, 'c d': 42, x: { y: { z: 'deep' } }, dynamic: true }, ['first', [11, 20], 2], 99]);
  });

  it.each([
    ['l[3]: 1', 'IndexError'],
    ['l["0"]: 1', 'TypeError'],
    ['s.k: 1', 'TypeError'],
  ])('%s raises %s', async (target, tag) => {
    const result = await runWorkflow(`
main:
  steps:
    - init:
        assign:
          - l: [0, 1, 2]
          - s: "text"
          - ${target}
`);
    expect(result.error?.payload).toMatchObject({ tags: [tag] });
  });
});

describe('call and subworkflows', () => {
  const source = `
main:
  params: [args]
  steps:
    - named:
        call: greet
        args:
          name: \${args.who}
        result: withDefault
    - both:
        call: greet
        args:
          name: Ada
          greeting: Hi
        result: explicit
    - inline:
        return: ["\${withDefault}", "\${explicit}", '\${greet("Bob", "Yo")}', "\${add_one(41)}"]
greet:
  params: [name, greeting: "Hello"]
  steps:
    - build:
        return: \${greeting + ", " + name}
add_one:
  params: [n]
  steps:
    - add:
        return: \${n + 1}
`;

  it('passes named args to subworkflows, fills defaults, and calls them positionally in expressions', async () => {
    expect(await succeeded(source, { who: 'Grace' })).toEqual(['Hello, Grace', 'Hi, Ada', 'Yo, Bob', 42]);
  });

  it('calls standard library functions with named or positional args', async () => {
    const connectors = recordingConnectors();
    const result = await new WorkflowRunner(
      `
- named:
    call: text.split
    args:
      source: "a b"
      separator: " "
    result: parts
- positional:
    call: sys.log
    args: ["\${parts}", "WARNING"]
- jsonLog:
    call: sys.log
    args:
      json: {"k": 1}
      severity: INFO
- textLog:
    call: sys.log
    args:
      text: 42
- pause:
    call: sys.sleep
    args:
      seconds: 1.5
- done:
    return: \${parts}
`,
      connectors,
    ).run(null, 'exec-7');
    expect(result).toMatchObject({ state: 'SUCCEEDED', result: ['a', 'b'] });
    expect(connectors.logs).toEqual([
      { severity: 'WARNING', text: '["a","b"]', executionId: 'exec-7' },
      { severity: 'INFO', json: { k: 1 }, executionId: 'exec-7' },
      { severity: 'DEFAULT', text: '42', executionId: 'exec-7' },
    ]);
    expect(connectors.sleeps).toEqual([1500]);
  });

  it('stops unbounded recursion with a RecursionError', async () => {
    const result = await runWorkflow(`
main:
  steps:
    - go:
        return: \${loop(0)}
loop:
  params: [n]
  steps:
    - again:
        return: \${loop(n + 1)}
`);
    expect(result.error?.payload).toMatchObject({ tags: ['RecursionError'] });
  });

  it('binds the execution argument to main and rejects missing subworkflow arguments at run time', async () => {
    expect(await succeeded('main:\n  params: [input]\n  steps:\n    - r:\n        return: ${input}\n', [1, 'x'])).toEqual([1, 'x']);
    expect(await succeeded('main:\n  params: [input]\n  steps:\n    - r:\n        return: ${input}\n')).toBeNull();
    const result = await runWorkflow(`
main:
  steps:
    - init:
        assign:
          - wrong_args: {"other": 1}
    - c:
        call: sub
        args: \${wrong_args}
sub:
  params: [needed]
  steps:
    - r:
        return: \${needed}
`);
    expect(result.error?.payload).toMatchObject({ tags: ['TypeError'] });
  });
});

describe('switch and next', () => {
  const source = `
main:
  params: [args]
  steps:
    - init:
        assign:
          - trail: []
    - pick:
        switch:
          - condition: \${args.n < 0}
            return: negative
          - condition: \${args.n == 0}
            next: zero
          - condition: \${args.n < 10}
            assign:
              - trail: \${list.concat(trail, "small")}
          - condition: \${args.n < 100}
            steps:
              - mid:
                  assign:
                    - trail: \${list.concat(trail, "medium")}
            next: finish
          - condition: true
            raise: {code: 400, message: "too big"}
        next: after_switch
    - zero:
        assign:
          - trail: \${list.concat(trail, "zero")}
        next: finish
    - after_switch:
        assign:
          - trail: \${list.concat(trail, "after")}
    - finish:
        return: \${trail}
`;

  it.each([
    [-5, 'negative'],
    [0, ['zero']],
    [5, ['small', 'after']],
    [50, ['medium']],
  ])('n = %s gives %j (first true condition wins)', async (n, expected) => {
    expect(await succeeded(source, { n })).toEqual(expected);
  });

  it('raises the map of a matched raise branch', async () => {
    const result = await runWorkflow(source, { n: 500 });
    expect(result).toMatchObject({ state: 'FAILED', error: { message: 'too big', payload: { code: 400, message: 'too big' } } });
  });

  it('continues with the following step when nothing matches, and requires boolean conditions', async () => {
    const body = (condition: string): string => `
main:
  steps:
    - s:
        switch:
          - condition: ${condition}
            return: matched
    - fallthrough:
        return: none
`;
    expect(await succeeded(body('${1 > 2}'))).toBe('none');
    expect((await runWorkflow(body('${"yes"}'))).error?.payload).toMatchObject({ tags: ['TypeError'] });
  });

  it('jumps backwards, ends early with next: end, and returns from nested steps', async () => {
    expect(
      await succeeded(`
main:
  steps:
    - init:
        assign:
          - n: 0
    - inc:
        assign:
          - n: \${n + 1}
    - check:
        switch:
          - condition: \${n < 3}
            next: inc
    - nested:
        steps:
          - deeper:
              steps:
                - leave:
                    return: \${n}
    - unreachable:
        return: -1
`),
    ).toBe(3);
    expect(await succeeded('- a:\n    next: end\n- b:\n    return: 1\n')).toBeNull();
  });
});

describe('raise', () => {
  it.each([
    ['plain message', 'plain message', 'plain message'],
    ['\n      message: ${"computed " + string(1)}\n      tags: ["Custom"]', 'computed 1', { message: 'computed 1', tags: ['Custom'] }],
  ])('raise: %s fails the execution with that payload', async (raised, message, payload) => {
    const result = await runWorkflow(`- boom:\n    raise: ${raised}\n`);
    expect(result).toMatchObject({ state: 'FAILED', error: { message, payload } });
    expect(result.error?.stackTrace).toEqual(['main.boom (line 1)']);
  });

  it('records one stack frame per routine', async () => {
    const result = await runWorkflow(`
main:
  steps:
    - outer:
        call: inner
inner:
  steps:
    - fail:
        raise: {message: "deep"}
`);
    expect(result.error?.stackTrace).toEqual(['inner.fail (line 8)', 'main.outer (line 4)']);
  });
});

describe('for', () => {
  it('iterates lists with index, maps through keys(), and inclusive ranges', async () => {
    expect(
      await succeeded(`
main:
  steps:
    - init:
        assign:
          - seen: []
          - prices: {"apple": 3, "pear": 5}
          - total: 0
          - sum: 0
          - halves: []
    - list:
        for:
          value: item
          index: i
          in: ["a", "b"]
          steps:
            - add_seen:
                assign:
                  - seen: \${list.concat(seen, string(i) + item)}
    - map:
        for:
          value: fruit
          in: \${keys(prices)}
          steps:
            - add_total:
                assign:
                  - total: \${total + prices[fruit]}
    - range:
        for:
          value: v
          range: [1, 9]
          steps:
            - add_sum:
                assign:
                  - sum: \${sum + v}
    - doubles:
        for:
          value: d
          range: [0.5, 2]
          steps:
            - add_half:
                assign:
                  - halves: \${list.concat(halves, d)}
    - done:
        return: ["\${seen}", "\${total}", "\${sum}", "\${halves}"]
`),
    ).toEqual([['0a', '1b'], 8, 45, [0.5, 1.5]]);
  });

  it('supports break and continue, including from a nested switch', async () => {
    expect(
      await succeeded(`
main:
  steps:
    - init:
        assign:
          - picked: []
    - loop:
        for:
          value: n
          range: [1, 10]
          steps:
            - odd:
                switch:
                  - condition: \${n % 2 == 1}
                    next: continue
            - stop:
                switch:
                  - condition: \${n > 6}
                    next: break
            - keep:
                assign:
                  - picked: \${list.concat(picked, n)}
    - done:
        return: \${picked}
`),
    ).toEqual([2, 4, 6]);
  });

  it('scopes variables created in a loop to the loop, and updates outer ones (the documented sample)', async () => {
    expect(
      await succeeded(`
- init:
    assign:
      - workflowScope: foo
- outerLoop:
    for:
      value: outerLoopValue
      in: [1, 2, 3, 4]
      steps:
        - outerLoopAssign:
            assign:
              - outerLoopScope: \${workflowScope}
        - innerLoop:
            for:
              value: innerLoopValue
              in: [5, 6, 7, 8]
              steps:
                - innerLoopAssign:
                    assign:
                      - workflowScope: \${innerLoopValue}
                      - innerLoopScope: \${outerLoopScope}
- final:
    return: \${workflowScope}
`),
    ).toBe(8);
  });

  it('raises a TypeError when in: is a map rather than a list', async () => {
    const result = await runWorkflow(`
- init:
    assign:
      - m: {"a": 1}
- loop:
    for:
      value: k
      in: \${m}
      steps:
        - noop:
            next: continue
`);
    expect(result.error?.payload).toMatchObject({ tags: ['TypeError'] });
    expect(result.error?.message).toMatch(/keys\(map\)/);
  });
});

describe('cancellation', () => {
  it('cancels a sleeping execution through RunOptions.signal', async () => {
    const { sleep: _fastSleep, ...connectors } = recordingConnectors();
    const runner = new WorkflowRunner('- nap:\n    call: sys.sleep\n    args:\n      seconds: 3600\n- never:\n    return: 1\n', connectors);
    const controller = new AbortController();
    const running = runner.run(null, 'exec-cancel', { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const started = Date.now();
    expect(await running).toMatchObject({ state: 'CANCELLED' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
