/**
 * The config file's routes: what each field accepts, and one test per way a
 * route is refused, naming the route by index and source, and the field.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigFile } from '../../src/config/config-file.js';

const HEAD =
  'sources:\n  stripe: { scheme: github, secret_env: S }\n  github: { scheme: github, secret_env: S }\n' +
  'destinations:\n  billing: { url: "http://billing/" }\n  ci: { url: "http://ci/" }\n';
const env = { S: 'a-secret' };

function parse(routes: string) {
  return parseConfigFile(`${HEAD}routes:\n${routes}`, env);
}

describe('config file: routes', () => {
  it('reads a name, a list or "*" as the source; one name or a list as to', () => {
    const { routes, problems } = parse(
      [
        '  - { source: stripe, to: billing }',
        '  - { source: [stripe, github], event_types: push, to: [ci, billing] }',
        '  - { source: "*", event_types: ["invoice.*"], filter: { a.b: 1 }, to: [handlers] }',
        '  - { source: default, to: [ci] }',
      ].join('\n'),
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(routes, [
      { sources: ['stripe'], eventTypes: undefined, filter: undefined, to: ['billing'] },
      {
        sources: ['stripe', 'github'],
        eventTypes: ['push'],
        filter: undefined,
        to: ['ci', 'billing'],
      },
      { sources: '*', eventTypes: ['invoice.*'], filter: { 'a.b': 1 }, to: ['handlers'] },
      { sources: ['default'], eventTypes: undefined, filter: undefined, to: ['ci'] },
    ]);
  });

  const bad: [string, string, RegExp][] = [
    [
      'an unknown source',
      '  - { source: strpe, to: [billing] }',
      /^CONFIG_FILE: routes\[0\] \(source "strpe"\): "source" names "strpe", which is not a source \(defined: stripe, github, default\)/,
    ],
    [
      'an unknown source in a list',
      '  - { source: [stripe, nope], to: [billing] }',
      /routes\[0\] \(sources "stripe", "nope"\): "source" names "nope", which is not a source/,
    ],
    [
      '"*" inside a list',
      '  - { source: ["*", stripe], to: [billing] }',
      /"source" lists "\*" with other names/,
    ],
    [
      'a missing source',
      '  - { to: [billing] }',
      /^CONFIG_FILE: routes\[0\]: "source" must be a source name, a list of them, or "\*"/,
    ],
    [
      'a source that is a number',
      '  - { source: 5, to: [billing] }',
      /routes\[0\]: "source" must be a source name/,
    ],
    [
      'an unknown destination',
      '  - { source: github, to: [ci, biling] }',
      /routes\[0\] \(source "github"\): "to" names "biling", which is not a destination \(defined: billing, ci, or handlers\)/,
    ],
    [
      'a missing to',
      '  - { source: github }',
      /routes\[0\] \(source "github"\): "to" must list destination names/,
    ],
    ['an empty to', '  - { source: github, to: [] }', /"to" must list destination names/],
    [
      'a misspelt field',
      '  - { source: github, event_type: [push], to: [ci] }',
      /routes\[0\] \(source "github"\): "event_type" is not a route setting \(known: source, event_types, filter, to\)/,
    ],
    [
      'event types that are a map',
      '  - { source: github, event_types: { a: 1 }, to: [ci] }',
      /"event_types" must be a list of event types or globs/,
    ],
    [
      'an empty event type list',
      '  - { source: github, event_types: [], to: [ci] }',
      /"event_types" must be a list/,
    ],
    [
      'a glob with ?',
      '  - { source: github, event_types: ["push?"], to: [ci] }',
      /"event_types" has "push\?", which no event type can match/,
    ],
    [
      'an empty glob',
      '  - { source: github, event_types: [""], to: [ci] }',
      /"event_types" has "", which no event type can match/,
    ],
    [
      'an unknown filter operator',
      '  - { source: stripe, filter: { data.object.amount: { $gt: 5 } }, to: [billing] }',
      /routes\[0\] \(source "stripe"\): "filter.data.object.amount" has an unknown operator "\$gt"/,
    ],
    [
      'a filter that is a list',
      '  - { source: stripe, filter: [a], to: [billing] }',
      /routes\[0\] \(source "stripe"\): "filter" must be a map/,
    ],
    [
      'a route that is not a map',
      '  - stripe',
      /routes\[0\]: expected a map with "source" and "to"/,
    ],
  ];
  for (const [what, routes, pattern] of bad) {
    it(`refuses ${what}`, () => {
      const { problems } = parse(routes);
      assert.ok(
        problems.some((p) => pattern.test(p)),
        `no problem matched ${pattern}: ${JSON.stringify(problems)}`,
      );
    });
  }

  it('names each route by its index', () => {
    const { problems } = parse(
      '  - { source: github, to: [ci] }\n  - { source: github, to: [nope] }\n  - { source: stripe, to: [nope] }\n',
    );
    assert.equal(problems.length, 2, JSON.stringify(problems));
    assert.match(problems[0] ?? '', /^CONFIG_FILE: routes\[1\] \(source "github"\)/);
    assert.match(problems[1] ?? '', /^CONFIG_FILE: routes\[2\] \(source "stripe"\)/);
  });

  it('does not call a destination with a bad setting unknown', () => {
    const { problems } = parseConfigFile(
      'destinations:\n  a: { url: "ftp://x/" }\nroutes:\n  - { source: "*", to: [a] }\n',
      {},
    );
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.match(problems[0] ?? '', /destination "a": "url"/);
  });

  it('does not call a source with a bad setting unknown', () => {
    const { problems } = parseConfigFile(
      'sources:\n  a: { scheme: github }\nroutes:\n  - { source: a, to: [handlers] }\n',
      {},
    );
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.match(problems[0] ?? '', /source "a": "secret_env"/);
  });
});
