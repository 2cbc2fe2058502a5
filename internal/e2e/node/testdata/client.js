// A pod that uses the AWS SDK for JavaScript v3 (@aws-sdk/credential-providers).
// argv[2] is the provider: "chain" is fromNodeProviderChain(), the default
// chain every client uses; "http" is fromHttp(), the container provider
// that chain calls first. For each line "get" on stdin it asks the provider
// for credentials and prints one JSON line: the credentials, or what the
// SDK reports (fromHttp puts the body's Code and Message on the error of a
// 4xx answer).
"use strict";
const readline = require("node:readline");
const { fromNodeProviderChain, fromHttp } = require("@aws-sdk/credential-providers");

if (process.argv[2] === "version") {
  const v = require("@aws-sdk/credential-providers/package.json").version;
  console.log(`@aws-sdk/credential-providers ${v} (Node ${process.version})`);
  process.exit(0);
}
const provider = process.argv[2] === "http" ? fromHttp() : fromNodeProviderChain();
const STATUS = /Server responded with status: (\d+)/;

async function get() {
  try {
    const c = await provider();
    return {
      ok: true,
      accessKeyId: c.accessKeyId,
      secretAccessKey: c.secretAccessKey,
      sessionToken: c.sessionToken,
      accountId: c.accountId || "",
      expiration: c.expiration ? c.expiration.toISOString().replace(/\.\d{3}Z$/, "Z") : "",
    };
  } catch (e) {
    const m = STATUS.exec(String(e.message));
    return {
      ok: false,
      type: e.name,
      message: String(e.message),
      status: m ? Number(m[1]) : 0,
      code: typeof e.Code === "string" ? e.Code : "",
    };
  }
}

(async () => {
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (line.trim() === "") continue;
    process.stdout.write(JSON.stringify(await get()) + "\n");
  }
})();
