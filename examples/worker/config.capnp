# Run the example locally with workerd, no wrangler needed:
#   npx esbuild worker.js --bundle --format=esm --conditions=workerd,worker,browser \
#     --external:cloudflare:sockets --outfile=worker.bundle.js
#   SSH_HOST=... SSH_PORT=22 SSH_USER=... SSH_PRIVATE_KEY="$(cat ~/.ssh/id_ed25519)" \
#   SSH_HOST_KEY_FINGERPRINT=SHA256:... SSH_COMMAND=uptime \
#     npx workerd serve config.capnp
#   curl http://127.0.0.1:8080/
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .sshWorker),
    # Outbound connect() goes through this network; "public" is what deployed Workers reach.
    # Add "private" or "local" to reach a server on your LAN or this machine.
    (name = "internet", network = (allow = ["public"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:8080", http = (), service = "main")],
);

const sshWorker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.bundle.js")],
  compatibilityDate = "2025-01-01",
  bindings = [
    (name = "SSH_HOST", fromEnvironment = "SSH_HOST"),
    (name = "SSH_PORT", fromEnvironment = "SSH_PORT"),
    (name = "SSH_USER", fromEnvironment = "SSH_USER"),
    (name = "SSH_PRIVATE_KEY", fromEnvironment = "SSH_PRIVATE_KEY"),
    (name = "SSH_HOST_KEY_FINGERPRINT", fromEnvironment = "SSH_HOST_KEY_FINGERPRINT"),
    (name = "SSH_COMMAND", fromEnvironment = "SSH_COMMAND"),
  ],
);
