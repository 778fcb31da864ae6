// The floor of a warm click on this machine: a bare Node script that reads a small JSON file and
// sends one POST to the PBX over the same TLS setup as dial3cx (the simulator's certificate from a
// CA file), then exits. `npm run bench` states every CLI figure as a ratio to this one.
// Usage: node bench/floor.mjs job.json   (job: { url, caFile, headers, body (base64) })
import { readFileSync } from "node:fs";
import { request } from "node:https";

const job = JSON.parse(readFileSync(process.argv[2], "utf8"));
const req = request(
  job.url,
  { method: "POST", ca: readFileSync(job.caFile), headers: job.headers },
  (res) => {
    res.resume();
    res.on("end", () => {
      if (res.statusCode !== 200) process.exitCode = 1;
    });
  },
);
req.on("error", (error) => {
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
});
req.end(Buffer.from(job.body, "base64"));
