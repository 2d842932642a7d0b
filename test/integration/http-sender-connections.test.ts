/**
 * The HTTP sender's connections: the deadline over the whole exchange, the
 * caller's abort, large answers neither buffered nor left to block the socket,
 * keep-alive, the per-destination connection cap, network errors, and the
 * egress guard refusing metadata addresses.
 */
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { getEventListeners } from 'node:events';
import type { ServerResponse } from 'node:http';
import { createServer, type LookupFunction, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { defaultEgressPolicy } from '../../src/delivery/egress-guard.js';
import { HttpSender, type OutboundMessage } from '../../src/delivery/http-sender.js';
import { destination, Receiver } from '../helpers/receiver.js';
import { waitFor } from '../helpers/wait.js';

const msg: OutboundMessage = {
  webhookId: 'msg_1',
  body: '{"id":1}',
  contentType: 'application/json',
  source: 'default',
  eventType: 'thing.happened',
  eventId: 'job-1',
  attempt: 1,
};

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function receiver(reply: Parameters<typeof Receiver.start>[0]): Promise<Receiver> {
  const r = await Receiver.start(reply);
  cleanups.push(() => r.stop());
  return r;
}

function sender(...args: ConstructorParameters<typeof HttpSender>): HttpSender {
  const s = new HttpSender(...args);
  cleanups.push(() => s.close());
  return s;
}

/** A TCP server that accepts and then does whatever `onSocket` does (to speak broken HTTP). */
async function rawServer(onSocket: (s: Socket) => void): Promise<number> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return (server.address() as { port: number }).port;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Calls `write` with one byte every `everyMs`, `chunks` times, then `end`. */
function drip(
  write: (chunk: string) => unknown,
  everyMs: number,
  chunks: number,
  end?: () => void,
) {
  let sent = 0;
  const timer = setInterval(() => {
    if (sent++ >= chunks) {
      clearInterval(timer);
      end?.();
      return;
    }
    write('x');
  }, everyMs);
  cleanups.push(async () => clearInterval(timer));
}

describe('HTTP sender: deadline and abort', () => {
  it('times out on a server that never answers', async () => {
    const r = await receiver(() => {});
    const s = sender([destination({ url: r.url, timeoutMs: 300 })]);
    const o = await s.send('dest', msg);
    assert.deepEqual(
      { ...o, durationMs: 0 },
      {
        kind: 'retry',
        codeClass: 'timeout',
        error: 'timed out after 300ms',
        durationMs: 0,
      },
    );
  });

  it('times out on headers that trickle in and never finish', async () => {
    const port = await rawServer((sock) => {
      sock.once('data', () => {
        sock.write('HTTP/1.1 200 OK\r\n');
        drip((c) => sock.destroyed || sock.write(`X-${c}: y\r\n`), 50, 10_000);
      });
    });
    const s = sender([destination({ url: `http://127.0.0.1:${port}/`, timeoutMs: 400 })]);
    const o = await s.send('dest', msg);
    assert.equal(o.kind, 'retry');
    assert.equal(o.kind === 'retry' && o.codeClass, 'timeout');
  });

  it('bounds a dripped body by the same deadline: a 2xx is delivered, a 5xx retried', async () => {
    for (const status of [200, 500]) {
      let finished = false;
      const r = await receiver((_req, res) => {
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.write('start;');
        drip(
          (c) => res.destroyed || res.write(c),
          50,
          100_000,
          () => {
            finished = true;
            res.end();
          },
        );
      });
      const s = sender([destination({ url: r.url, timeoutMs: 400 })]);
      const o = await s.send('dest', msg);
      assert.equal(finished, false, 'the deadline, not the end of the body, ended the attempt');
      assert.equal(o.status, status);
      assert.equal(o.kind, status === 200 ? 'delivered' : 'retry');
      assert.match(o.responseBody ?? '', /^start;x*$/);
      await waitFor(() => r.open === 0, { what: 'the receiver to see the connection close' });
    }
  });

  it("tells the caller's abort from a timeout: retry 'aborted'", async () => {
    const r = await receiver(() => {});
    const s = sender([destination({ url: r.url, timeoutMs: 30_000 })]);
    const ac = new AbortController();
    const pending = s.send('dest', msg, ac.signal);
    await waitFor(() => r.open === 1, { what: 'the request to arrive' });
    ac.abort();
    const o = await pending;
    assert.deepEqual(
      { ...o, durationMs: 0 },
      {
        kind: 'retry',
        codeClass: 'network',
        error: 'aborted',
        durationMs: 0,
      },
    );

    const early = await s.send('dest', msg, AbortSignal.abort());
    assert.equal(early.kind === 'retry' && early.error, 'aborted');
  });

  it('ends an attempt queued behind a busy connection when its signal fires', async () => {
    let release = () => {};
    const r = await receiver((_req, res) => {
      release = () => res.end('done');
    });
    const s = sender([destination({ url: r.url, concurrency: 1, timeoutMs: 30_000 })]);
    let firstDone = false;
    const first = s.send('dest', msg).then((o) => {
      firstDone = true;
      return o;
    });
    await waitFor(() => r.open === 1, { what: 'the first request to arrive' });
    const ac = new AbortController();
    const queued = s.send('dest', msg, ac.signal);
    ac.abort();
    const o = await queued;
    assert.equal(o.kind === 'retry' && o.error, 'aborted');
    assert.equal(firstDone, false, 'the queued attempt ended while the connection was still busy');
    release();
    assert.equal((await first).kind, 'delivered');
    assert.equal(r.received.length, 1, 'the aborted attempt never reached the receiver');
  });

  it("lets go of the caller's signal after every attempt", async () => {
    const r = await receiver((_req, res) => res.end());
    const s = sender([destination({ url: r.url })]);
    const shutdown = new AbortController();
    for (let i = 0; i < 20; i++)
      assert.equal((await s.send('dest', msg, shutdown.signal)).kind, 'delivered');
    assert.equal(getEventListeners(shutdown.signal, 'abort').length, 0);
  });

  it('still counts a 2xx as delivered when the caller aborts during its body', async () => {
    let dripped = 0;
    const r = await receiver((_req, res) => {
      res.writeHead(202);
      res.write('accepted');
      drip(
        () => {
          if (res.destroyed) return;
          res.write('.');
          dripped++;
        },
        20,
        100_000,
      );
    });
    const s = sender([destination({ url: r.url })]);
    const ac = new AbortController();
    const pending = s.send('dest', msg, ac.signal);
    // Sender and receiver share this event loop: once the body is dripping, the
    // sender has long since parsed the status line.
    await waitFor(() => dripped >= 5, { what: 'the body to be dripping' });
    ac.abort();
    const o = await pending;
    assert.equal(o.kind, 'delivered', JSON.stringify(o));
    assert.equal(o.status, 202);
    assert.match(o.responseBody ?? '', /^accepted\.*$/);
  });
});

describe('HTTP sender: response bodies and connections', () => {
  it('keeps 1 KiB of a huge answer, never reads it all, and the next request still goes', async () => {
    const size = 64 * 1024 * 1024;
    let written = 0;
    let completed = false;
    const r = await receiver((_req, res) => {
      if (r.received.length > 1) {
        res.end('second');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = () => {
        while (written < size) {
          written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end(() => {
          completed = true;
        });
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    });
    const s = sender([destination({ url: r.url, concurrency: 1 })]);
    const o = await s.send('dest', msg);
    assert.equal(o.kind, 'delivered');
    assert.equal(o.responseBody?.length, 1024);
    assert.equal(o.responseBody, 'a'.repeat(1024));
    await waitFor(() => r.open === 0, { what: 'the huge answer to be cut off' });
    assert.equal(completed, false, 'the client closed the connection instead of reading 64 MiB');
    assert.ok(written < size);
    const second = await s.send('dest', msg);
    assert.equal(second.kind === 'delivered' && second.responseBody, 'second');
  });

  it('reads past 1 KiB to the end of a moderate answer so the connection is reused', async () => {
    const r = await receiver((_req, res) => res.end('z'.repeat(300 * 1024)));
    const s = sender([destination({ url: r.url, concurrency: 1 })]);
    for (let i = 0; i < 3; i++) {
      const o = await s.send('dest', msg);
      assert.equal(o.kind === 'delivered' && o.responseBody, 'z'.repeat(1024));
    }
    assert.equal(r.connections, 1);
    assert.equal(new Set(r.received.map((x) => x.remotePort)).size, 1);
  });

  it('decodes the kept bytes as UTF-8, replacing invalid ones, without splitting a character', async () => {
    const bytes = Buffer.concat([Buffer.from('ok '), Buffer.from([0xff, 0xfe]), Buffer.from(' ✓')]);
    const cut = Buffer.concat([Buffer.alloc(1022, 'a'), Buffer.from('✓'), Buffer.from('tail')]);
    let n = 0;
    const r = await receiver((_req, res) => res.end(n++ === 0 ? bytes : cut));
    const s = sender([destination({ url: r.url })]);
    const first = await s.send('dest', msg);
    assert.equal(first.kind === 'delivered' && first.responseBody, 'ok \ufffd\ufffd ✓');
    const second = await s.send('dest', msg);
    assert.equal(second.kind === 'delivered' && second.responseBody, 'a'.repeat(1022));
  });

  it('keeps at most `concurrency` requests open at once to a slow destination', async () => {
    const held: ServerResponse[] = [];
    const r = await receiver((_req, res) => held.push(res));
    const s = sender([destination({ url: r.url, concurrency: 2 })]);
    const total = 6;
    const outcomes = Promise.all(Array.from({ length: total }, () => s.send('dest', msg)));
    // Answer one at a time, each time only once the sender has as many open as it may.
    for (let answered = 0; answered < total; answered++) {
      const expected = Math.min(2, total - answered);
      await waitFor(() => r.open === expected && held.length === expected, {
        what: `${expected} requests open`,
      });
      held.shift()?.end('ok');
    }
    assert.deepEqual(
      (await outcomes).map((o) => o.kind),
      Array(total).fill('delivered'),
    );
    assert.equal(r.maxOpen, 2);
    assert.equal(r.connections, 2, 'the two connections were kept alive and reused');
  });

  it('reports a refused connection as a network error worth retrying', async () => {
    const port = await closedPort();
    const s = sender([destination({ url: `http://127.0.0.1:${port}/hook` })]);
    const o = await s.send('dest', msg);
    assert.deepEqual(
      { ...o, durationMs: 0 },
      {
        kind: 'retry',
        codeClass: 'network',
        error: `connect ECONNREFUSED 127.0.0.1:${port}`,
        durationMs: 0,
      },
    );
  });

  it('reports each address tried when a name has several and all refuse', async () => {
    const port = await closedPort();
    const lookup = ((_host, options, cb) => {
      const all: LookupAddress[] = [
        { address: '127.0.0.1', family: 4 },
        { address: '127.0.0.2', family: 4 },
      ];
      if (options.all) cb(null, all);
      else cb(null, '127.0.0.1', 4);
    }) as LookupFunction;
    const s = sender([destination({ url: `http://twice.test:${port}/` })], {
      egress: defaultEgressPolicy({ lookup }),
    });
    const o = await s.send('dest', msg);
    assert.equal(o.kind, 'retry');
    assert.ok(o.kind === 'retry');
    assert.equal(o.codeClass, 'network');
    assert.match(o.error, new RegExp(`ECONNREFUSED 127\\.0\\.0\\.1:${port}`));
    assert.doesNotMatch(o.error, /\{"id"/);
  });

  it('reports a connection the server drops as a network error', async () => {
    const port = await rawServer((sock) => sock.once('data', () => sock.destroy()));
    const s = sender([destination({ url: `http://127.0.0.1:${port}/` })]);
    const o = await s.send('dest', msg);
    assert.equal(o.kind, 'retry');
    assert.ok(o.kind === 'retry');
    assert.equal(o.codeClass, 'network');
    assert.match(o.error, /UND_ERR_SOCKET|ECONNRESET/);
  });

  it('answers sends after close() with a retry', async () => {
    const r = await receiver((_req, res) => res.end());
    const s = new HttpSender([destination({ url: r.url })]);
    assert.equal((await s.send('dest', msg)).kind, 'delivered');
    await s.close();
    const o = await s.send('dest', msg);
    assert.equal(o.kind === 'retry' && o.error, 'sender closed');
  });
});

describe('HTTP sender: egress guard', () => {
  it('refuses metadata and link-local IP literals before connecting', async () => {
    const cases: [string, string][] = [
      ['http://169.254.169.254/latest/meta-data/', '169.254.169.254'],
      ['http://169.254.1.2:8080/', '169.254.1.2'],
      ['http://2852039166/', '169.254.169.254'],
      ['http://[::ffff:169.254.169.254]/', '::ffff:a9fe:a9fe'],
      ['http://[64:ff9b::169.254.169.254]/', '64:ff9b::a9fe:a9fe'],
      ['https://[fd00:ec2::254]/', 'fd00:ec2::254'],
    ];
    const s = sender(cases.map(([url], i) => destination({ name: `d${i}`, url })));
    for (const [i, [url, address]] of cases.entries()) {
      const o = await s.send(`d${i}`, msg);
      assert.deepEqual(
        o,
        {
          kind: 'dead',
          codeClass: 'network',
          error: `destination address ${address} is not allowed`,
          durationMs: 0,
        },
        url,
      );
    }
  });

  it('refuses a name that resolves to a metadata address, and allows private ones', async () => {
    const r = await receiver((_req, res) => res.end('hi'));
    const answers: Record<string, string[]> = {
      'metadata.test': ['169.254.169.254'],
      'mixed.test': ['127.0.0.1', '169.254.169.254'],
      'mapped.test': ['::ffff:169.254.169.254'],
      'receiver.test': ['127.0.0.1'],
    };
    const asked: { host: string; all: boolean }[] = [];
    const lookup = ((host, options, cb) => {
      asked.push({ host, all: options.all === true });
      const list = answers[host] ?? [];
      if (list.length === 0) {
        cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }), '', 4);
        return;
      }
      const all = list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
      if (options.all) cb(null, all);
      else cb(null, all[0]?.address ?? '', all[0]?.family);
    }) as LookupFunction;
    const url = (host: string) => `http://${host}:${r.port}/hook`;
    const s = sender(
      Object.keys(answers)
        .concat('missing.test')
        .map((host) => destination({ name: host.replace('.test', ''), url: url(host) })),
      { egress: defaultEgressPolicy({ lookup }) },
    );
    for (const [name, address] of [
      ['metadata', '169.254.169.254'],
      ['mixed', '169.254.169.254'],
      ['mapped', '::ffff:169.254.169.254'],
    ]) {
      const o = await s.send(name as string, msg);
      assert.equal(o.kind, 'dead', name);
      assert.ok(o.kind === 'dead');
      assert.equal(o.error, `destination address ${address} is not allowed`);
      assert.equal(o.codeClass, 'network');
    }
    const ok = await s.send('receiver', msg);
    assert.equal(ok.kind === 'delivered' && ok.responseBody, 'hi');
    assert.equal(r.received.length, 1, 'only the allowed name reached the receiver');
    const missing = await s.send('missing', msg);
    assert.equal(missing.kind, 'retry');
    assert.equal(missing.kind === 'retry' && missing.error, 'getaddrinfo ENOTFOUND missing.test');
    assert.ok(asked.some((a) => a.host === 'metadata.test'));
  });
});
