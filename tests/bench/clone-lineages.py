#!/usr/bin/env python3
"""Clone one real lineage into many, for the benchmarks that list or load
thousands of certificates.

    clone-lineages.py acmed STATE NAME N
        STATE/archive/NAME, live/NAME and renewal/NAME.conf (acmed's layout)
        copied to NAME-1 .. NAME-(N-1), so STATE holds N lineages.
    clone-lineages.py certbot STATE NAME N CONFIG_DIR SERVER
        the same certificate as N lineages NAME, NAME-1, ... in certbot's
        layout under CONFIG_DIR, each with a ConfigObj renewal file.

Files are copied with their modes; live/ entries are relative symlinks to
version 1, as both tools make them.
"""
import os
import shutil
import sys

PEMS = ("cert", "chain", "fullchain", "privkey")


def clone_acmed(state, name, n):
    src_arch = os.path.join(state, "archive", name)
    conf = open(os.path.join(state, "renewal", name + ".conf")).read()
    for i in range(1, n):
        new = "%s-%d" % (name, i)
        arch = os.path.join(state, "archive", new)
        live = os.path.join(state, "live", new)
        shutil.copytree(src_arch, arch)
        os.mkdir(live, 0o755)
        for p in PEMS:
            os.symlink("../../archive/%s/%s1.pem" % (new, p), os.path.join(live, p + ".pem"))
        lines = [('name = "%s";' % new) if l.startswith("name = ") else l
                 for l in conf.splitlines()]
        path = os.path.join(state, "renewal", new + ".conf")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(lines) + "\n")


def clone_certbot(state, name, n, cdir, server):
    src_arch = os.path.join(state, "archive", name)
    for d in ("archive", "live", "renewal"):
        os.makedirs(os.path.join(cdir, d), exist_ok=True)
    for i in range(n):
        new = name if i == 0 else "%s-%d" % (name, i)
        arch = os.path.join(cdir, "archive", new)
        live = os.path.join(cdir, "live", new)
        os.mkdir(arch, 0o755)
        for p in PEMS:
            shutil.copy2(os.path.join(src_arch, p + "1.pem"), os.path.join(arch, p + "1.pem"))
        os.mkdir(live, 0o755)
        for p in PEMS:
            os.symlink("../../archive/%s/%s1.pem" % (new, p), os.path.join(live, p + ".pem"))
        with open(os.path.join(cdir, "renewal", new + ".conf"), "w") as f:
            f.write("# renew_before_expiry = 30 days\n"
                    "version = 2.1.0\n"
                    "archive_dir = %s\n" % arch)
            for p in PEMS:
                f.write("%s = %s/%s.pem\n" % (p, live, p))
            f.write("\n[renewalparams]\n"
                    "account = 0123456789abcdef0123456789abcdef\n"
                    "authenticator = standalone\n"
                    "server = %s\n"
                    "key_type = ecdsa\n" % server)


def main(argv):
    if len(argv) == 5 and argv[1] == "acmed":
        clone_acmed(argv[2], argv[3], int(argv[4]))
    elif len(argv) == 7 and argv[1] == "certbot":
        clone_certbot(argv[2], argv[3], int(argv[4]), argv[5], argv[6])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
