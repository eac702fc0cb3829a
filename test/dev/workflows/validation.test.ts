import { describe, expect, it } from 'vitest';
import { WorkflowError, WorkflowRunner } from '../../../functions/src/dev/workflows/runner.js';
import { recordingConnectors } from './helpers.js';

/** Publishes first, so that a definition error after it would show up as a publish if anything ran. */
function afterPublish(rest: string): string {
  return `
main:
  steps:
    - announce:
        call: googleapis.pubsub.v1.projects.topics.publish
        args:
          topic: projects/p/topics/t
          body:
            messages:
              - data: aGk=
${rest}
helper:
  params: [a, b: 2]
  steps:
    - r:
        return: \${a + b}
`;
}

function rejection(source: string): WorkflowError {
  const connectors = recordingConnectors();
  try {
    new WorkflowRunner(source, connectors);
  } catch (error) {
    expect(connectors.published).toEqual([]);
    if (error instanceof WorkflowError) return error;
    throw error;
  }
  throw new Error('expected the definition to be rejected');
}

describe('definitions are validated before anything runs', () => {
  it.each([
    ['parallel steps', '    - fan_out:\n        parallel:\n          branches: []', /main > fan_out \(line 12\): parallel steps are not supported/],
    ['an unknown step key', '    - odd:\n        asign:\n          - x: 1', /main > odd \(line 12\): unknown step key "asign"/],
    ['two actions in one step', '    - both:\n        assign:\n          - x: 1\n        return: 2', /one of assign.*found assign and return/],
    ['next with return', '    - r:\n        return: 1\n        next: end', /next is not allowed with return/],
    ['args without call', '    - a:\n        assign:\n          - x: 1\n        args: {}', /args is only allowed together with call/],
    ['an unknown function in an expression', '    - x:\n        return: ${text.reverse("abc")}', /main > x \(line 12\): text.reverse is not supported/],
    ['an unknown function call target', '    - x:\n        call: no_such_thing', /unknown function or subworkflow "no_such_thing"/],
    ['an HTTP call', '    - x:\n        call: http.get\n        args:\n          url: https://example.com', /http.get makes HTTP requests/],
    ['another connector', '    - x:\n        call: googleapis.storage.v1.objects.get', /connector googleapis.storage.v1.objects.get is not supported/],
    ['a blocking call inside an expression', '    - x:\n        return: ${sys.sleep(1)}', /sys.sleep blocks, so it can only be used in a call step/],
    ['a wrong number of arguments', '    - x:\n        return: ${len(1, 2)}', /len\(\) takes 1 arguments, 2 given/],
    ['too many subworkflow arguments in an expression', '    - x:\n        return: ${helper(1, 2, 3)}', /helper\(\) takes 1 to 2 arguments, 3 given/],
    ['an unknown subworkflow argument', '    - x:\n        call: helper\n        args:\n          a: 1\n          c: 3', /subworkflow helper has no parameter "c"/],
    ['a missing subworkflow argument', '    - x:\n        call: helper\n        args:\n          b: 1', /subworkflow helper needs the argument "a"/],
    ['an unknown stdlib argument', '    - x:\n        call: sys.log\n        args:\n          message: hi', /sys.log has no parameter "message"/],
    ['a malformed expression', '    - x:\n        return: ${1 +}', /malformed expression \$\{1 \+\}/],
    ['a map literal inside an expression', '    - x:\n        assign:\n          - m: ${default(null, {})}', /main > x \(line 13\): malformed expression \$\{default\(null, \{\}\)\}: map literals are not part of the Workflows expression language/],
    ['a list literal inside an expression', "    - x:\n        return: '${json.encode([1])}'", /main > x \(line 12\): malformed expression \$\{json.encode\(\[1\]\)\}: list literals are not part of/],
    ['interpolation inside a string', '    - x:\n        return: "Hello ${name}"', /does not interpolate/],
    ['a jump to an unknown step', '    - x:\n        next: nowhere', /next: no step named nowhere/],
    ['break outside a loop', '    - x:\n        next: break', /next: break is only allowed inside a for loop/],
    ['a jump into nested steps', '    - x:\n        next: inner\n    - block:\n        steps:\n          - inner:\n              return: 1', /next: inner jumps into a nested block/],
    ['an undefined variable', '    - x:\n        return: ${undefined_thing}', /variable undefined_thing is not defined/],
    ['an assignment into an undefined variable', '    - x:\n        assign:\n          - ghost.key: 1', /variable ghost is not defined/],
    ['a bad assignment target', '    - x:\n        assign:\n          - a + b: 1', /cannot assign to "a \+ b"/],
    [
      'a loop variable read after its loop',
      '    - loop:\n        for:\n          value: v\n          in: [1]\n          steps:\n            - inner:\n                assign:\n                  - created: ${v}\n    - after:\n        return: ${created}',
      /main > after \(line 19\): variable created is not defined in this scope/,
    ],
    [
      'an except variable read after the except block',
      '    - guarded:\n        try:\n          raise: oops\n        except:\n          as: e\n          steps:\n            - keep:\n                assign:\n                  - copy: ${e}\n    - after:\n        return: ${e}',
      /variable e is not defined/,
    ],
    ['a loop variable shadowing an outer one', '    - init:\n        assign:\n          - v: 0\n    - loop:\n        for:\n          value: v\n          range: [1, 2]\n          steps:\n            - s:\n                next: continue', /loop variable v is already a variable/],
    ['a duplicated step name', '    - dup:\n        assign:\n          - x: 1\n    - dup:\n        assign:\n          - y: 1', /step name dup is used twice/],
    ['an unknown retry predicate', '    - t:\n        try:\n          return: 1\n        retry:\n          predicate: ${my_predicate}\n          max_retries: 1', /retry predicate my_predicate is neither a subworkflow/],
    ['an unknown retry policy', '    - t:\n        try:\n          return: 1\n        retry: ${http.retry_everything}', /unknown retry policy http.retry_everything/],
    ['for with both in and range', '    - loop:\n        for:\n          value: v\n          in: [1]\n          range: [1, 2]\n          steps:\n            - s:\n                next: continue', /exactly one of in and range/],
  ])('rejects %s', (_what, step, message) => {
    expect(rejection(afterPublish(step)).message).toMatch(message);
  });

  it.each([
    ['invalid YAML', 'main: [unclosed', /invalid YAML/],
    ['a definition without main', 'other:\n  steps:\n    - a:\n        return: 1', /no main workflow/],
    ['main with two parameters', 'main:\n  params: [a, b]\n  steps:\n    - r:\n        return: 1', /main takes at most one parameter/],
    ['an unknown workflow field', 'main:\n  timeout: 5\n  steps:\n    - r:\n        return: 1', /unknown workflow field "timeout"/],
    ['empty steps', 'main:\n  steps: []', /steps must not be empty/],
  ])('rejects %s', (_what, source, message) => {
    expect(rejection(source).message).toMatch(message);
  });

  it('refuses callbacks without a callback server', () => {
    expect(rejection('- cb:\n    call: events.create_callback_endpoint\n    result: c\n').message).toMatch(/pass options.callbacks/);
  });
});
