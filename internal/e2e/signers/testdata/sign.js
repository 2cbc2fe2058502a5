// Calls the emulator with a request signed by @smithy/signature-v4, the
// SigV4 signer of the AWS SDK for JavaScript v3, from a JSON spec on
// stdin ("tamper": "body" changes a byte of the body after signing). Prints one JSON
// line: the HTTP status and the code of X-Amzn-ErrorType.
"use strict";
const http = require("node:http");
const { SignatureV4 } = require("@smithy/signature-v4");
const { Sha256 } = require("@aws-crypto/sha256-js");

if (process.argv[2] === "version") {
  const v = require("@smithy/signature-v4/package.json").version;
  console.log(`@smithy/signature-v4 ${v} (Node ${process.version})`);
  process.exit(0);
}

(async () => {
  let input = "";
  for await (const chunk of process.stdin) input += chunk;
  const spec = JSON.parse(input);
  const url = new URL(spec.endpoint);
  const body = JSON.stringify({ token: spec.token });
  const signer = new SignatureV4({
    credentials: { accessKeyId: spec.accessKeyId, secretAccessKey: spec.secretAccessKey, sessionToken: spec.sessionToken || undefined },
    region: spec.region,
    service: spec.service,
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method: "POST",
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: "/clusters/" + encodeURIComponent(spec.cluster) + "/assume-role-for-pod-identity",
    headers: { host: url.host, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) },
    body,
  });
  // "tamper": the same length, one byte of the token changed.
  const t = spec.token;
  const sent = spec.tamper === "body" ? JSON.stringify({ token: t.slice(0, -1) + (t.endsWith("A") ? "B" : "A") }) : body;
  const res = await new Promise((resolve, reject) => {
    const req = http.request(
      { hostname: url.hostname, port: url.port, path: signed.path, method: "POST", headers: signed.headers },
      resolve,
    );
    req.on("error", reject);
    req.end(sent);
  });
  let text = "";
  for await (const chunk of res) text += chunk;
  const code = (res.headers["x-amzn-errortype"] || "").split(":")[0];
  const out = { status: res.statusCode, code };
  if (res.statusCode === 200) out.accessKeyId = JSON.parse(text).credentials.accessKeyId;
  process.stdout.write(JSON.stringify(out) + "\n");
})().catch((e) => {
  process.stdout.write(JSON.stringify({ status: 0, code: "", message: String(e) }) + "\n");
});
