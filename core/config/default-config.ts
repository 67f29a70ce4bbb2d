/**
 * The config written on first run when no config file exists. Same keys as CLIProxyAPI's `config.yaml`.
 *
 * @module
 */

export const DEFAULT_CONFIG_TEXT: string =
  `# Switchyard configuration. The keys are CLIProxyAPI's, so an existing CLIProxyAPI config.yaml works as is.

# Listen on this machine only. Use "" (all interfaces) or a LAN address to accept other machines;
# set api-keys below before you do.
host: "127.0.0.1"
port: 8317

# Keys clients must send (Authorization: Bearer <key>, X-Api-Key, X-Goog-Api-Key or ?key=).
# EMPTY MEANS OPEN: with no keys, anyone who can reach the port can use your provider credentials.
# To require a key, list one or more long random strings, e.g.:
# api-keys:
#   - "sk-switchyard-replace-with-a-long-random-string"
api-keys: []

# Not served yet by this version of Switchyard (kept in the file, reported at startup when set):
# where OAuth credential files are kept, and the management API and web UI.
# auth-dir: "~/.cli-proxy-api"
# remote-management:
#   allow-remote: false
#   secret-key: ""

# How a credential is picked when several can serve a model: round-robin, weighted-round-robin or fill-first.
routing:
  strategy: "round-robin"

# A failed attempt (401/403/408/429/5xx, network error) moves on to the next credential that serves the model.
# Retry rounds and cooldowns (request-retry, max-retry-interval) are not served yet by this version.
# request-retry: 3
# max-retry-interval: 30

# Requests larger than this are refused with 413 before they are read.
max-body-size-mb: 32

# Any OpenAI-compatible API (OpenRouter, a local server, ...). Clients ask for the alias; the name is sent upstream.
# openai-compatibility:
#   - name: "openrouter"
#     base-url: "https://openrouter.ai/api/v1"
#     api-key-entries:
#       - api-key: "sk-or-v1-..."
#     models:
#       - name: "moonshotai/kimi-k2"
#         alias: "kimi-k2"
`;
