import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import https from "node:https";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { X509Certificate } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { CertificateStore } from "../src/router/certificates.js";
import { RouterHost } from "../src/routerd/host.js";
import type { ListenerState } from "../src/routerd/state.js";
import { issueCertificate, makeCa, type TestCa, type TestCertificate } from "./support/certs.js";
import { group, startRouter } from "./support/router.js";

const run = promisify(execFile);
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

let dir: string;
let ca: TestCa;
let certA: TestCertificate;
let certB: TestCertificate;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "slipway-tls-"));
  ca = makeCa(dir);
  certA = issueCertificate(dir, ca, "a", ["a.test", "*.a.test"]);
  certB = issueCertificate(dir, ca, "b", ["b.test"]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An app that echoes what it was asked as JSON, streams `/events` as server-sent events, and speaks WebSocket. */
async function app(name: string) {
  const server = http.createServer((req, res) => {
    if (req.url === "/events") {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" });
      res.write(`data: first from ${name}\n\n`);
      // The second event only once the client has seen the first: a router that buffers would stall here.
      server.once("saw-first", () => res.end(`data: second from ${name}\n\n`));
      return;
    }
    if (req.url === "/saw-first") {
      server.emit("saw-first");
      res.end("ok");
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json", "set-cookie": ["a=1", "b=2"] });
      res.end(
        JSON.stringify({ app: name, method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }),
      );
    });
  });
  const wss = new WebSocketServer({ server });
  wss.on("connection", (ws, req) => ws.on("message", (m) => ws.send(`${name} ${req.headers["x-forwarded-proto"]} ${m.toString()}`)));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const port = (server.address() as AddressInfo).port;
  return { target: { id: `${name}-1`, host: "127.0.0.1", port } };
}

interface Got {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  alpn?: string | false | null;
  peer?: tls.PeerCertificate;
}

/** One HTTPS/1.1 request on a new connection, with `servername` as SNI and Host. */
function get(port: number, servername: string, path = "/", options: { method?: string; body?: string } = {}): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      // ALPN offered as an HTTP/1.1-only client does: the router must agree on it.
      {
        host: "127.0.0.1",
        port,
        path,
        method: options.method ?? "GET",
        servername,
        headers: { host: servername },
        ca: ca.pem,
        agent: false,
        ...{ ALPNProtocols: ["http/1.1"] },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => {
          const socket = res.socket as tls.TLSSocket;
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            alpn: socket.alpnProtocol,
            peer: socket.getPeerCertificate(),
          });
        });
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** One plain HTTP request with `Host: host`. */
function plain(port: number, host: string, path = "/"): Promise<Got> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path, headers: { host }, agent: false }, (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      })
      .on("error", reject);
  });
}

/** The subject alternative names of the certificate a TLS handshake with `servername` (or none) gets. */
function handshake(port: number, servername?: string, options: tls.ConnectionOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      ...(servername && { servername }),
      ca: ca.pem,
      checkServerIdentity: () => undefined,
      ...options,
    });
    socket.once("secureConnect", () => {
      const san = socket.getPeerCertificate().subjectaltname ?? "";
      socket.end();
      resolve(san);
    });
    socket.once("error", reject);
  });
}

async function store(...files: TestCertificate[]) {
  const s = new CertificateStore(() => undefined);
  await s.setFiles(files.map((f) => ({ cert: f.cert, key: f.key })));
  return s;
}

describe("Router over TLS", () => {
  it("serves HTTPS over HTTP/1.1 with X-Forwarded-Proto https, HSTS added where the app sent none", async () => {
    const a = await app("a");
    const { router, port } = await startRouter(cleanups, { certificates: await store(certA) });
    router.configure({ hsts: "max-age=31536000; includeSubDomains" });
    router.setGroups([group("r1", 1, a.target)]);
    const got = await get(port, "a.test", "/x?y=1", { method: "POST", body: "hello" });
    expect(got.status).toBe(200);
    expect(got.alpn).toBe("http/1.1");
    const seen = JSON.parse(got.text) as { url: string; body: string; headers: Record<string, string> };
    expect(seen).toMatchObject({ url: "/x?y=1", body: "hello", headers: { "x-forwarded-proto": "https", host: "a.test" } });
    expect(got.headers["strict-transport-security"]).toBe("max-age=31536000; includeSubDomains");
    expect(got.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
  });

  it("picks the certificate by SNI (exact, then wildcard); a client without SNI or with an unknown name gets the first", async () => {
    const { port } = await startRouter(cleanups, { certificates: await store(certA, certB) });
    expect(await handshake(port, "b.test")).toBe("DNS:b.test");
    expect(await handshake(port, "a.test")).toBe("DNS:a.test, DNS:*.a.test");
    expect(await handshake(port, "www.a.test")).toBe("DNS:a.test, DNS:*.a.test");
    expect(await handshake(port, "other.test")).toBe("DNS:a.test, DNS:*.a.test");
    expect(await handshake(port)).toBe("DNS:a.test, DNS:*.a.test");
  });

  it("refuses TLS 1.1 and below", async () => {
    const { port } = await startRouter(cleanups, { certificates: await store(certA) });
    await expect(handshake(port, "a.test", { maxVersion: "TLSv1.1", minVersion: "TLSv1" })).rejects.toThrow();
    expect(await handshake(port, "a.test", { maxVersion: "TLSv1.2" })).toContain("a.test");
  });

  it("speaks HTTP/2 by ALPN: requests with bodies, repeated response headers, cookie crumbs joined for the app, SSE unbuffered", async () => {
    const a = await app("a");
    const { router, port } = await startRouter(cleanups, { certificates: await store(certA) });
    router.setGroups([group("r1", 1, a.target)]);
    const session = http2.connect(`https://127.0.0.1:${port}`, { ca: ca.pem, servername: "a.test" });
    cleanups.push(() => void session.close());
    const h2 = (headers: http2.OutgoingHttpHeaders, body?: string) =>
      new Promise<{ headers: http2.IncomingHttpHeaders; text: string }>((resolve, reject) => {
        const stream = session.request(headers);
        let text = "";
        let head: http2.IncomingHttpHeaders = {};
        stream.on("response", (h) => (head = h));
        stream.setEncoding("utf8");
        stream.on("data", (c: string) => (text += c));
        stream.on("end", () => resolve({ headers: head, text }));
        stream.on("error", reject);
        stream.end(body);
      });
    const got = await h2({ ":method": "POST", ":path": "/h2?q", ":authority": `a.test:${port}`, cookie: ["a=1", "b=2"] }, "over h2");
    expect(got.headers[":status"]).toBe(200);
    expect(got.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    const seen = JSON.parse(got.text) as { url: string; body: string; method: string; headers: Record<string, string> };
    expect(seen).toMatchObject({ method: "POST", url: "/h2?q", body: "over h2" });
    expect(seen.headers).toMatchObject({ host: `a.test:${port}`, cookie: "a=1; b=2", "x-forwarded-proto": "https" });
    expect(Object.keys(seen.headers).filter((h) => h.startsWith(":"))).toEqual([]);
    // Server-sent events: the first event arrives while the app holds the second back.
    const events = session.request({ ":path": "/events" });
    events.setEncoding("utf8");
    let text = "";
    events.on("data", (c: string) => (text += c));
    const ended = new Promise((resolve) => events.on("end", resolve));
    const deadline = Date.now() + 5000;
    while (!text.includes("first from a") && Date.now() < deadline) await sleep(10);
    expect(text).toBe("data: first from a\n\n");
    await h2({ ":path": "/saw-first" });
    await ended;
    expect(text).toBe("data: first from a\n\ndata: second from a\n\n");
  });

  it("answers curl --http2 over h2 and curl --http1.1 on the same port", async () => {
    const a = await app("a");
    const { router, port } = await startRouter(cleanups, { certificates: await store(certA) });
    router.setGroups([group("r1", 1, a.target)]);
    const curl = async (flag: string) => {
      const { stdout } = await run("curl", [
        "-sS",
        flag,
        "--cacert",
        ca.cert,
        "--resolve",
        `a.test:${port}:127.0.0.1`,
        "-w",
        "\\n%{http_version}",
        `https://a.test:${port}/c`,
      ]);
      const [body, version] = stdout.split("\n");
      return { app: (JSON.parse(body as string) as { app: string }).app, version };
    };
    expect(await curl("--http2")).toEqual({ app: "a", version: "2" });
    expect(await curl("--http1.1")).toEqual({ app: "a", version: "1.1" });
  });

  it("tunnels a WebSocket over HTTPS (HTTP/1.1)", async () => {
    const a = await app("a");
    const { router, port } = await startRouter(cleanups, { certificates: await store(certA) });
    router.setGroups([group("r1", 1, a.target)]);
    const ws = new WebSocket(`wss://127.0.0.1:${port}/ws`, { ca: ca.pem, headers: { host: "a.test" }, ...{ servername: "a.test" } });
    cleanups.push(() => ws.terminate());
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    ws.send("ping");
    const message = await new Promise<string>((resolve) => ws.once("message", (m) => resolve(m.toString())));
    expect(message).toBe("a https ping");
  });

  it("refuses cleartext HTTP/2 (prior knowledge) on a plain address with a 400, and serves Upgrade: h2c as HTTP/1.1", async () => {
    const a = await app("a");
    const { router, port } = await startRouter(cleanups);
    router.setGroups([group("r1", 1, a.target)]);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, "127.0.0.1", () => socket.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
      let data = "";
      socket.on("data", (c: Buffer) => (data += c.toString()));
      socket.on("close", () => resolve(data));
      socket.on("error", reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    const { stdout } = await run("curl", [
      "-sS",
      "--http2",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code} %{http_version}",
      `http://127.0.0.1:${port}/`,
    ]);
    expect(stdout).toBe("200 1.1");
  });
});

describe("Certificate reload", () => {
  it("serves a certificate replaced on disk to new connections without failing a request in flight", async () => {
    const live = join(dir, "live");
    const a = await app("a");
    const certs = new CertificateStore(() => undefined);
    copyFileSync(certA.cert, `${live}.pem`);
    copyFileSync(certA.key, `${live}.key`);
    await certs.setFiles([{ cert: `${live}.pem`, key: `${live}.key` }]);
    const { router, port } = await startRouter(cleanups, { certificates: certs });
    router.setGroups([group("r1", 1, a.target)]);
    const renewed = issueCertificate(dir, ca, "a2", ["a.test", "*.a.test"]);
    const serialOf = (pem: string) => new X509Certificate(pem).serialNumber;
    // Load: new connections, back to back, while the files are replaced and reloaded.
    let stop = false;
    const serials = new Set<string>();
    const failures: string[] = [];
    const load = (async () => {
      while (!stop) {
        try {
          const got = await get(port, "a.test", "/load");
          if (got.status !== 200) failures.push(String(got.status));
          serials.add(got.peer?.serialNumber ?? "");
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    })();
    // A slow request in flight across the swap.
    const slow = get(port, "a.test", "/events");
    await sleep(200);
    copyFileSync(renewed.key, `${live}.key`);
    copyFileSync(renewed.cert, `${live}.pem`);
    await certs.reload();
    await sleep(300);
    await get(port, "a.test", "/saw-first");
    stop = true;
    await load;
    expect((await slow).text).toBe("data: first from a\n\ndata: second from a\n\n");
    expect(failures).toEqual([]);
    expect(serials).toEqual(new Set([serialOf(certA.certPem), serialOf(renewed.certPem)].map((s) => s.toUpperCase())));
    expect((await get(port, "a.test")).peer?.serialNumber).toBe(serialOf(renewed.certPem).toUpperCase());
  });

  it("keeps serving the previous certificate when a replaced file does not load (a half-written pair), and refuses a key of another certificate", async () => {
    const live = join(dir, "half");
    const logs: string[] = [];
    const certs = new CertificateStore((m) => logs.push(m));
    copyFileSync(certA.cert, `${live}.pem`);
    copyFileSync(certA.key, `${live}.key`);
    await certs.setFiles([{ cert: `${live}.pem`, key: `${live}.key` }]);
    const { port } = await startRouter(cleanups, { certificates: certs });
    copyFileSync(certB.cert, `${live}.pem`); // the key is still a's
    await certs.reload();
    expect(await handshake(port, "a.test")).toBe("DNS:a.test, DNS:*.a.test");
    expect(logs.join("\n")).toMatch(/half\.pem: the private key does not match the certificate/);
    await expect(certs.setFiles([{ cert: certA.cert, key: certB.key }])).rejects.toThrow(
      /a\.pem: the private key does not match the certificate/,
    );
    await expect(certs.setFiles([{ cert: join(dir, "missing.pem"), key: certB.key }])).rejects.toThrow(
      /cannot read .*missing\.pem: ENOENT/,
    );
  });
});

describe("Router process host: HTTPS, redirect, several apps by host name", () => {
  async function host() {
    const h = new RouterHost({ onChange: () => undefined, challenge: (token) => (token === "tok" ? "tok.key-authz" : undefined) });
    cleanups.push(() => h.close());
    return h;
  }
  const listen = { host: "127.0.0.1", port: 0 };
  /** A fixed free port: listeners share an address by its configured port, and 0 is a new one each time. */
  const freePort = () =>
    new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = s.address() as AddressInfo;
        s.close(() => resolve(port));
      });
    });

  it("redirects plain HTTP to HTTPS with 308 (path and query kept), answers ACME challenges there, and serves HTTPS", async () => {
    const a = await app("a");
    const h = await host();
    const state: ListenerState = {
      listen,
      options: { name: "a", hsts: "max-age=60" },
      groups: [group("r1", 1, a.target)],
      tls: { listen, certificates: [{ cert: certA.cert, key: certA.key }], redirect: true },
    };
    const plainPort = (await h.apply("public", state)).port;
    const tlsPort = (h.bound()["public:tls"] as { port: number }).port;
    const redirect = await plain(plainPort, "a.test:80", "/p?q=1");
    expect(redirect.status).toBe(308);
    expect(redirect.headers.location).toBe(`https://a.test:${tlsPort}/p?q=1`);
    expect(redirect.headers["strict-transport-security"]).toBeUndefined();
    const challenge = await plain(plainPort, "a.test", "/.well-known/acme-challenge/tok");
    expect([challenge.status, challenge.text]).toEqual([200, "tok.key-authz"]);
    expect((await plain(plainPort, "a.test", "/.well-known/acme-challenge/other")).status).toBe(308);
    const got = await get(tlsPort, "a.test", "/p");
    expect([got.status, (JSON.parse(got.text) as { app: string }).app, got.headers["strict-transport-security"]]).toEqual([
      200,
      "a",
      "max-age=60",
    ]);
  });

  it("serves two apps on one address by host name, each with its own table; an unknown host gets a 404 naming it", async () => {
    const a = await app("a");
    const b = await app("b");
    const h = await host();
    const address = { host: "127.0.0.1", port: await freePort() };
    const shared = await h.apply("a/public", {
      listen: address,
      hosts: ["a.test"],
      options: { name: "a" },
      groups: [group("r1", 1, a.target)],
    });
    await h.apply("b/public", { listen: address, hosts: ["B.test"], options: { name: "b" }, groups: [group("r1", 1, b.target)] });
    const appOf = async (hostHeader: string) => (JSON.parse((await plain(shared.port, hostHeader)).text) as { app: string }).app;
    expect(await appOf("a.test")).toBe("a");
    expect(await appOf("b.test:8080")).toBe("b");
    expect(await appOf("B.TEST.")).toBe("b");
    const unknown = await plain(shared.port, "c.test");
    expect([unknown.status, unknown.text]).toEqual([404, 'slipway: no app is served here for host "c.test"\n']);
    // b's table changes; a's traffic does not notice.
    h.setGroups("b/public", []);
    expect((await plain(shared.port, "b.test")).status).toBe(503);
    expect(await appOf("a.test")).toBe("a");
    // A host claimed twice, or a second catch-all, changes nothing.
    await expect(h.apply("c/public", { listen: address, hosts: ["a.test"], options: {}, groups: [] })).rejects.toThrow(
      /host a\.test on 127\.0\.0\.1:\d+ is served by a\/public already/,
    );
    expect(Object.keys(h.state().listeners)).toEqual(["a/public", "b/public"]);
    // Removing b keeps the address for a.
    await h.remove("b/public");
    expect(await appOf("a.test")).toBe("a");
    expect((await plain(shared.port, "b.test")).status).toBe(404);
  });

  it("picks up a certificate file replaced on disk by itself (polled), for new connections", async () => {
    const live = join(dir, "polled");
    copyFileSync(certA.cert, `${live}.pem`);
    copyFileSync(certA.key, `${live}.key`);
    const h = await host();
    await h.apply("public", {
      listen,
      options: {},
      groups: [],
      tls: { listen, certificates: [{ cert: `${live}.pem`, key: `${live}.key` }], redirect: false },
    });
    const tlsPort = (h.bound()["public:tls"] as { port: number }).port;
    const renewed = issueCertificate(dir, ca, "a3", ["a.test"]);
    const serialOf = (pem: string) => new X509Certificate(pem).serialNumber.toUpperCase();
    const served = () =>
      new Promise<string>((resolve, reject) => {
        const socket = tls.connect({ host: "127.0.0.1", port: tlsPort, servername: "a.test", ca: ca.pem }, () => {
          resolve(socket.getPeerCertificate().serialNumber);
          socket.end();
        });
        socket.once("error", reject);
      });
    expect(await served()).toBe(serialOf(certA.certPem));
    copyFileSync(renewed.key, `${live}.key`);
    copyFileSync(renewed.cert, `${live}.pem`);
    const deadline = Date.now() + 10_000;
    while ((await served()) !== serialOf(renewed.certPem)) {
      if (Date.now() > deadline) throw new Error("the replaced certificate was not picked up");
      await sleep(100);
    }
  });

  it("restoring its table, a router serves the app with a certificate file gone, and picks the file up once it is back", async () => {
    const a = await app("a");
    const gone = join(dir, "gone");
    const logs: string[] = [];
    const h = new RouterHost({ onChange: () => undefined, log: (m) => logs.push(m) });
    cleanups.push(() => h.close());
    const state: ListenerState = {
      listen,
      options: { name: "a" },
      groups: [group("r1", 1, a.target)],
      tls: {
        listen,
        certificates: [
          { cert: `${gone}.pem`, key: `${gone}.key` },
          { cert: certB.cert, key: certB.key },
        ],
        redirect: false,
      },
    };
    // Given by a daemon, the missing file is refused; restored at start, the app is served anyway.
    await expect(h.apply("public", state)).rejects.toThrow(/cannot read .*gone\.pem/);
    const plainPort = (await h.apply("public", state, true)).port;
    const tlsPort = (h.bound()["public:tls"] as { port: number }).port;
    expect(JSON.parse((await plain(plainPort, "a.test")).text)).toMatchObject({ app: "a" });
    expect(await handshake(tlsPort, "b.test")).toBe("DNS:b.test");
    expect(logs.join("\n")).toMatch(/serving without it for now: cannot read .*gone\.pem/);
    copyFileSync(certA.key, `${gone}.key`);
    copyFileSync(certA.cert, `${gone}.pem`);
    const deadline = Date.now() + 10_000;
    while ((await handshake(tlsPort, "a.test")) !== "DNS:a.test, DNS:*.a.test") {
      if (Date.now() > deadline) throw new Error("the file that came back was not picked up");
      await sleep(100);
    }
  });

  it("refuses a certificate that does not load, changing nothing", async () => {
    const h = await host();
    const bad: ListenerState = {
      listen,
      options: {},
      groups: [],
      tls: { listen, certificates: [{ cert: certA.cert, key: certB.key }], redirect: true },
    };
    await expect(h.apply("public", bad)).rejects.toThrow(/the private key does not match/);
    expect(h.state().listeners).toEqual({});
    expect(h.bound()).toEqual({});
  });
});
