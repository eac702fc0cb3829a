import { describe, expect, it } from 'vitest';
import { WorkflowRunner } from '../../../functions/src/dev/workflows/runner.js';
import { recordingConnectors, runWorkflow } from './helpers.js';

/** A body that fails with {code, message, tags: ["HttpError"]} until it has run `okAfter` times. */
function flaky(retry: string, options: { okAfter?: number; code?: number; except?: boolean } = {}): string {
  const except = options.except === false ? '' : `
        except:
          as: e
          steps:
            - handled:
                return:
                  handled: \${e}
                  attempts: \${attempts}`;
  return `
main:
  steps:
    - init:
        assign:
          - attempts: 0
    - guarded:
        try:
          steps:
            - count:
                assign:
                  - attempts: \${attempts + 1}
            - maybe_fail:
                switch:
                  - condition: \${attempts < ${options.okAfter ?? 1000}}
                    raise:
                      code: ${options.code ?? 503}
                      message: unavailable
                      tags: ["HttpError"]
            - ok:
                return:
                  attempts: \${attempts}
${retry}${except}
only_503:
  params: [e]
  steps:
    - decide:
        return: \${e.code == 503}
not_boolean:
  params: [e]
  steps:
    - decide:
        return: "yes"
`;
}

async function run(source: string) {
  const connectors = recordingConnectors();
  const result = await new WorkflowRunner(source, connectors).run(null);
  return { result, sleeps: connectors.sleeps };
}

describe('try / retry / except', () => {
  it('backs off initial_delay * multiplier^n capped at max_delay, then hands the error to except', async () => {
    const { result, sleeps } = await run(
      flaky(`        retry:
          predicate: \${retry.always}
          max_retries: 4
          backoff:
            initial_delay: 1
            max_delay: 3
            multiplier: 2`),
    );
    expect(sleeps).toEqual([1000, 2000, 3000, 3000]);
    expect(result.result).toEqual({ handled: { code: 503, message: 'unavailable', tags: ['HttpError'] }, attempts: 5 });
  });

  it('stops retrying once the body succeeds', async () => {
    const { result, sleeps } = await run(
      flaky(
        `        retry:
          predicate: \${retry.always}
          max_retries: 10
          backoff:
            initial_delay: 0.5
            max_delay: 60
            multiplier: 3`,
        { okAfter: 3 },
      ),
    );
    expect(result.result).toEqual({ attempts: 3 });
    expect(sleeps).toEqual([500, 1500]);
  });

  it('asks a subworkflow predicate whether to retry', async () => {
    const retry = `        retry:
          predicate: \${only_503}
          max_retries: 3
          backoff:
            initial_delay: 1
            max_delay: 10
            multiplier: 1`;
    expect((await run(flaky(retry, { code: 503 }))).sleeps).toEqual([1000, 1000, 1000]);
    const notRetried = await run(flaky(retry, { code: 404 }));
    expect(notRetried.sleeps).toEqual([]);
    expect(notRetried.result.result).toMatchObject({ handled: { code: 404 }, attempts: 1 });
  });

  it('applies the named policy http.default_retry: 5 retries with retry.default_backoff', async () => {
    const { result, sleeps } = await run(flaky('        retry: ${http.default_retry}'));
    expect(sleeps).toEqual([1000, 1250, 1562.5, 1953.125, 2441.40625]);
    expect(result.result).toMatchObject({ attempts: 6 });
    expect((await run(flaky('        retry: ${http.default_retry}', { code: 500 }))).sleeps).toEqual([]);
  });

  it('never retries with retry.never, and re-raises when there is no except', async () => {
    const { result, sleeps } = await run(flaky('        retry:\n          predicate: ${retry.never}\n          max_retries: 5', { except: false }));
    expect(sleeps).toEqual([]);
    expect(result).toMatchObject({ state: 'FAILED', error: { message: 'unavailable', payload: { code: 503 } } });
  });

  it('fails with a TypeError when a predicate does not return a boolean', async () => {
    const { result } = await run(flaky('        retry:\n          predicate: ${not_boolean}\n          max_retries: 2', { except: false }));
    expect(result.error?.payload).toMatchObject({ tags: ['TypeError'] });
  });

  it('catches runtime errors, scopes the error variable to except, and lets except re-raise', async () => {
    const caught = await runWorkflow(`
main:
  steps:
    - init:
        assign:
          - m: {}
          - outcome: null
    - read:
        try:
          assign:
            - v: \${m.missing}
        except:
          as: e
          steps:
            - keep:
                assign:
                  - outcome: \${e}
    - done:
        return: \${outcome}
`);
    expect(caught.result).toMatchObject({ tags: ['KeyError'] });

    const reraised = await runWorkflow(`
- guarded:
    try:
      raise: {message: "original", code: 7}
    except:
      as: err
      steps:
        - again:
            raise: \${err}
`);
    expect(reraised).toMatchObject({ state: 'FAILED', error: { message: 'original', payload: { message: 'original', code: 7 } } });
  });

  it('surfaces a rejected Pub/Sub publish as an HttpError that except can inspect', async () => {
    const connectors = recordingConnectors();
    connectors.publishFailures.push(Object.assign(new Error('topic not found'), { code: 5 }));
    const result = await new WorkflowRunner(
      `
- publish:
    try:
      call: googleapis.pubsub.v1.projects.topics.publish
      args:
        topic: projects/kf-test/topics/missing
        body:
          messages:
            - data: \${base64.encode(text.encode("hi"))}
    except:
      as: e
      steps:
        - report:
            return:
              code: \${e.code}
              http: \${"HttpError" in e.tags}
`,
      connectors,
    ).run(null);
    expect(result.result).toEqual({ code: 404, http: true });
  });
});
