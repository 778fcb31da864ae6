// `dial3cx mcp`: runs the MCP server (src/mcp) over stdio for an AI assistant's app, with the
// usual settings (config file, environment, keyring). stdin and stdout carry the protocol, so
// there is no --password-stdin and nothing else is printed there; notes go to stderr.
import { runMcpServer } from "../../mcp/server.js";
import { accountOptions, type Io, loadContext } from "../context.js";

export interface McpFlags {
  device?: string;
  /** false with --no-gateway. */
  gateway?: boolean;
}

export async function runMcp(flags: McpFlags, io: Io): Promise<number> {
  const context = await loadContext({ device: flags.device }, io);
  await runMcpServer({
    account: accountOptions(context, {}, { events: true }),
    configFile: context.paths.configFile,
    gateway: flags.gateway !== false,
    stdin: io.stdin,
    stdout: io.stdout,
    stderr: io.stderr,
  });
  return 0;
}
