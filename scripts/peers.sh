#!/usr/bin/env bash
# The real peers and tools the test suite runs against, as Debian packages. `npm test` runs
# this first. As root it installs whichever are missing (apt-get update once, then
# apt-get install) and creates sshd's privilege-separation directory /run/sshd; as another
# user it prints the one command to run and exits 1.
#
# PURESSH_PEERS_EXTRA="pkg ..." adds packages to the list and PURESSH_PEERS_DRY_RUN=1 prints
# the commands instead of running them (to check this script without changing the machine).
set -euo pipefail

packages=(
  openssh-server       # sshd, the main peer
  openssh-client       # ssh, ssh-keygen, ssh-agent, ssh-add (compared with puressh's CLI)
  openssh-sftp-server  # /usr/lib/openssh/sftp-server, compared with puressh's SFTP server
  python3-asyncssh     # second SSH server (/usr/bin/python3)
  python3-paramiko     # third implementation (/usr/bin/python3)
  python3-bcrypt       # bcrypt_pbkdf cross-check
  python3-cryptography # Blowfish/CAST/RC4 cross-checks
  tinysshd             # minimal server (ed25519, curve25519, chacha20-poly1305 only)
  putty-tools          # puttygen: PPK files
  openssl              # PEM/PKCS#8 key files, cipher cross-checks
  libnet-ssh2-perl     # Net::SSH2 (libssh2), compared with the facade
  e2fsprogs            # chattr (read-only files for SFTP error tests)
  util-linux           # script (server ptys), setpriv (sessions as the user), unshare, mount
  tmux                 # interactive pty sessions
  passwd               # useradd, chpasswd (the password-auth test user)
  chromium             # headless browser: the universal bundle through the WebSocket bridge
)
# shellcheck disable=SC2206
packages+=(${PURESSH_PEERS_EXTRA:-})

run() {
  if [ -n "${PURESSH_PEERS_DRY_RUN:-}" ]; then echo "would run: $*"; else "$@"; fi
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ "$(id -u)" != 0 ]; then
  if [ ${#missing[@]} -gt 0 ]; then
    echo "puressh tests: missing Debian packages; install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  [ -d /run/sshd ] || { echo "puressh tests: sshd needs its directory: sudo mkdir -p /run/sshd" >&2; exit 1; }
  exit 0
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "puressh tests: installing the missing peers: apt-get install -y ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  run apt-get update -qq
  run apt-get install -y -qq "${missing[@]}"
fi
[ -d /run/sshd ] || run mkdir -p /run/sshd
