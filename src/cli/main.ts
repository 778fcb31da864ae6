// The `dial3cx` command tree. Only commander loads eagerly; each subcommand's code is imported
// when it runs, so `--version` and `--help` stay fast.
import { Argument, Command, Option, type OptionValues } from "@commander-js/extra-typings";
import { VERSION } from "../version.js";
import { processIo } from "./io.js";
import { exitForCommander, runCommand, securityCodeArg } from "./run.js";

// Usage errors follow --json too; commander's own text would go to stderr.
const json = process.argv.includes("--json");

// Set before any subcommand is added: commander copies both settings into each subcommand.
const program = new Command("dial3cx")
  .configureOutput(json ? { outputError: () => undefined, writeErr: () => undefined } : {})
  .exitOverride((exit) => exitForCommander(exit, { json }))
  .description("Click-to-call for 3CX: ring your desk phone and connect it to a number.")
  .version(VERSION, "-V, --version")
  .showHelpAfterError("(run `dial3cx help <command>` for usage)")
  .addHelpText(
    "after",
    "\nExamples:\n  dial3cx login\n  dial3cx call +49 30 123456\n  dial3cx call tel:+49-30-123456 --device yealink --wait\n  dial3cx demo",
  );

/** The flags of every command that talks to the PBX. */
function connection<Args extends unknown[], Opts extends OptionValues, G extends OptionValues>(
  command: Command<Args, Opts, G>,
) {
  return command
    .option("--pbx <url>", "PBX web-client URL (env DIAL3CX_PBX)")
    .option("--extension <number>", "your extension (env DIAL3CX_EXTENSION)")
    .option("--ca <file>", "trust this CA file (PEM) for the PBX certificate (env DIAL3CX_CA)")
    .option("--fingerprint <sha256>", "trust the PBX certificate with this SHA-256 fingerprint")
    .option("--insecure", "do NOT verify the PBX certificate (dangerous)")
    .option("--password-stdin", "read the password from standard input")
    .option("--code <digits>", "2FA code, for extensions with two-factor login", securityCodeArg)
    .addOption(
      new Option("--driver <driver>", "how to reach the PBX (default auto)").choices([
        "auto",
        "webclient",
        "callcontrol",
      ]),
    )
    .option(
      "--client-id <id>",
      "Call Control API client id (env DIAL3CX_CLIENT_ID; the key only from DIAL3CX_API_KEY or the keyring)",
    )
    .option("--json", "machine-readable output (errors too)");
}

connection(
  program
    .command("call")
    .description("Ring your phone and connect it to a number, tel:/callto:/sip: URI")
    .argument(
      "<number...>",
      "a number in any format, an extension, a feature code, a URI, or a contact's name (several words are joined with spaces)",
    ),
)
  .option("--device <name|index|contact>", "which of your devices rings (env DIAL3CX_DEVICE)")
  .option("--wait", "follow the call until it ends (Ctrl-C offers to hang up)")
  .option("--dry-run", "show the number and device, dial nothing")
  .option("--no-gateway", "do not hand the call to a running `dial3cx serve`")
  .action((words, opts) =>
    runCommand(
      async () => (await import("./commands/call.js")).runCall(words.join(" "), opts, processIo()),
      opts,
    ),
  );

connection(
  program.command("devices").description("List the devices registered on your extension"),
).action((opts) =>
  runCommand(
    async () => (await import("./commands/inspect.js")).runDevices(opts, processIo()),
    opts,
  ),
);

connection(
  program.command("status").description("Show your extension, presence, devices and calls"),
).action((opts) =>
  runCommand(
    async () => (await import("./commands/inspect.js")).runStatus(opts, processIo()),
    opts,
  ),
);

connection(program.command("watch").description("Print call and device events until Ctrl-C"))
  .option("--notify", "a desktop notification for each incoming call (also `notify = true`)")
  .action((opts) =>
    runCommand(
      async () => (await import("./commands/inspect.js")).runWatch(opts, processIo()),
      opts,
    ),
  );

connection(
  program
    .command("hangup")
    .description("Hang up a call (the only active one, a given id, or --all)")
    .argument("[call-id]", "the call's id, as `dial3cx status` shows it"),
)
  .option("--all", "hang up every active call")
  .action((callId, opts) =>
    runCommand(
      async () => (await import("./commands/inspect.js")).runHangup(callId, opts, processIo()),
      opts,
    ),
  );

connection(
  program.command("history").description("List recent calls: direction, number, name, time"),
)
  .option("--missed", "missed calls only, numbered for `dial3cx callback N`")
  .option("--limit <n>", "at most this many calls (default 20)")
  .action((opts) =>
    runCommand(
      async () => (await import("./commands/history.js")).runHistory(opts, processIo()),
      opts,
    ),
  );

connection(
  program
    .command("callback")
    .description("Call back the last missed call, or the Nth of `dial3cx history --missed`")
    .argument("[n]", "which missed call (1 = the last)"),
)
  .option("--device <name|index|contact>", "which of your devices rings (env DIAL3CX_DEVICE)")
  .option("--confirm", "ask before dialling (also `confirm = true` in the config)")
  .action((n, opts) =>
    runCommand(
      async () => (await import("./commands/history.js")).runCallback(n, opts, processIo()),
      opts,
    ),
  );

connection(
  program.command("login").description("Save your PBX, extension and password (keyring)"),
).action((opts) =>
  runCommand(async () => (await import("./commands/login.js")).runLogin(opts, processIo()), opts),
);

program
  .command("logout")
  .description("Forget the saved session, settings and password")
  .option("--json", "machine-readable output")
  .action((opts) =>
    runCommand(
      async () => (await import("./commands/login.js")).runLogout(opts, processIo()),
      opts,
    ),
  );

program
  .command("handler")
  .description("Make dial3cx open tel:, callto: and sip: links (install, uninstall, status)")
  .addArgument(new Argument("<action>").choices(["install", "uninstall", "status"]))
  .option("--schemes <list>", "comma-separated schemes to handle (default tel,callto,sip)")
  .option("--confirm", "ask before dialling a clicked link")
  .option("--json", "machine-readable output")
  .action((action, opts) =>
    runCommand(
      async () =>
        (await import("./commands/handler.js")).runHandler(action as "install", opts, processIo()),
      opts,
    ),
  );

connection(
  program
    .command("serve")
    .description(
      "Run the local gateway: REST API, live events and a dialer page on a warm session",
    ),
)
  .option("--listen <address:port>", "where to listen (loopback unless asked)", "127.0.0.1:7070")
  .option("--socket <path>", "unix socket path (default under $XDG_RUNTIME_DIR/dial3cx)")
  .option("--no-socket", "do not listen on a unix socket")
  .option("--accounts <file>", "serve several extensions (TOML or JSON)")
  .option("--tls-cert <file>", "serve HTTPS with this certificate (PEM)")
  .option("--tls-key <file>", "private key for --tls-cert (PEM)")
  .option("--allow-plain-http", "allow plain HTTP on a non-loopback address")
  .option("--allowed-origin <origin...>", "web origins allowed to call the API (CORS)")
  .option("--allow-extension <id...>", "browser extension ids allowed to call the API")
  .option("--allowed-host <host...>", "extra Host names the gateway answers to")
  .option("--notify", "a desktop notification for each incoming call (also `notify = true`)")
  .option("--show-token", "print the API token(s) and exit")
  .option(
    "--show-webhook-secret",
    "print the secret webhooks are signed with (X-Dial3cx-Signature) and exit",
  )
  .option("--install-unit", "write a systemd user unit for `dial3cx serve` and exit")
  .action((opts) =>
    runCommand(async () => (await import("./commands/serve.js")).runServe(opts, processIo()), opts),
  );

connection(
  program
    .command("doctor")
    .description("Check each step from the network to both drivers, and say which one broke"),
).action((opts) =>
  runCommand(async () => (await import("./commands/doctor.js")).runDoctor(opts, processIo()), opts),
);

program
  .command("sim")
  .description("Run a simulated 3CX PBX on loopback (for the demo, tests and trying dial3cx out)")
  .option("--host <address>", "address to listen on", "127.0.0.1")
  .option("--port <port>", "port (0 picks a free one)", "5001")
  .addOption(
    new Option("--pbx-version <version>", "3CX version to imitate")
      .choices(["20", "18"])
      .default("20"),
  )
  .option("--scenario <file>", "scenario JSON: extensions, devices, contacts")
  .option("--tls", "serve HTTPS with a generated self-signed certificate")
  .option("--tls-cert <file>", "serve HTTPS with this certificate (PEM)")
  .option("--tls-key <file>", "private key for --tls-cert (PEM)")
  .option("--cert-out <file>", "write the certificate (PEM) here so clients can trust it")
  .option("--addp-interval <seconds>", "websocket keep-alive interval", "5")
  .option("--answer-after <ms>", "the called party answers after this long", "1500")
  .option("--hangup-after <ms>", "the called party hangs up this long after answering")
  .option("--latency <ms>", "delay every HTTP answer, like a PBX in the cloud")
  .action((opts) =>
    runCommand(async () => {
      const { runSim } = await import("./commands/sim.js");
      return runSim(opts, { stdout: process.stdout, stderr: process.stderr });
    }),
  );

program
  .command("open")
  .description("Call a clicked tel:/callto:/sip: link (the link handler's entry point)")
  .argument("<uri>", "the link, as the desktop passes it")
  .option("--confirm", "ask before dialling")
  .action((uri, opts) =>
    runCommand(async () => (await import("./commands/open.js")).runOpen(uri, opts, processIo())),
  );

const contacts = program
  .command("contacts")
  .description("Search the vCard directories and the PBX phone book");
connection(
  contacts
    .command("search")
    .description("Find contacts by name or number (folded: `muller` finds Müller)")
    .argument("<text>", 'a name, part of one, or a number ("" lists everyone)'),
)
  .option("--dmenu", "print Name<TAB>type<TAB>number lines for rofi, dmenu or fzf")
  .option("--limit <n>", "at most this many numbers")
  .action((text, opts) =>
    runCommand(
      async () =>
        (await import("./commands/contacts.js")).runContactsSearch(text, opts, processIo()),
      opts,
    ),
  );

connection(
  program.command("pick").description("Pick a contact in rofi, fzf or dmenu and call the number"),
)
  .addOption(
    new Option("--with <picker>", "the picker (default: rofi on a display, else fzf)").choices([
      "fzf",
      "rofi",
      "dmenu",
    ]),
  )
  .option("--device <name|index|contact>", "which of your devices rings (env DIAL3CX_DEVICE)")
  .option("--no-gateway", "do not hand the call to a running `dial3cx serve`")
  .action((opts) =>
    runCommand(async () => (await import("./commands/pick.js")).runPick(opts, processIo()), opts),
  );

program
  .command("mcp")
  .description(
    "Let an AI assistant (Claude Desktop, VS Code…) search contacts and place calls, over MCP on stdio",
  )
  .option("--device <name|index|contact>", "which of your devices rings (env DIAL3CX_DEVICE)")
  .option("--no-gateway", "do not hand calls to a running `dial3cx serve`")
  .action((opts) =>
    runCommand(async () => (await import("./commands/mcp.js")).runMcp(opts, processIo())),
  );

program
  .command("completion")
  .description("Print the shell completion script (bash, zsh or fish)")
  .addArgument(new Argument("<shell>").choices(["bash", "zsh", "fish"]))
  .action((shell) =>
    runCommand(async () =>
      (await import("./commands/completion.js")).runCompletion(
        shell as "bash",
        program,
        processIo(),
      ),
    ),
  );

program
  .command("demo")
  .description("Start the simulator and place a call on it with the real `dial3cx call --wait`")
  .action(() => runCommand(async () => (await import("./commands/demo.js")).runDemo(processIo())));

await program.parseAsync(process.argv);
