// Preloaded (node --import) into every CLI the end-to-end tests run: a rejection nobody handles
// is marked on stderr, so the harness fails the test whatever the CLI itself does about it.
process.on("unhandledRejection", (reason) => {
  const text = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
  process.stderr.write(`\n[dial3cx-test] UNHANDLED REJECTION: ${text}\n`);
});
