"""Command line of the researcher's client: ``accord fetch`` and ``accord manifest verify``.

Dispatched by accord.cli before Django is touched: no settings, no database, nothing written
to the current folder.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from pathlib import Path

from rich.console import Console

from accord.client.fetch import Fetcher, FetchError, Outcome
from accord.client.manifest import ManifestError, key_id, load_public_key, verify_document
from accord.client.portal import Portal, PortalError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
# Every file verified, but DIR holds files the manifest does not list (see --help).
EXIT_STALE = 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="accord", description="Accord researcher client.")
    sub = parser.add_subparsers(dest="command", required=True)

    fetch = sub.add_parser(
        "fetch",
        help="download a variant you are entitled to, verified against its signed manifest",
        description="Download every file of VARIANT into DIR (created private, mode 0700), "
        "resuming interrupted files and checking each SHA-256 against the portal's signed "
        "manifest, with CITATION.cff and TERMS.md (how to cite, the terms) next to them. Run "
        "it again to finish or re-check a download.",
        epilog="Stale copies: every file in DIR that the manifest does not list is reported, "
        "never kept or deleted silently. A file the manifest lists as withdrawn (a participant "
        "withdrew consent) is reported as 'consent withdrawn on DATE: you must delete this "
        "copy (your licence requires it)'; any other as 'not in release X'. Then the exit "
        f"status is {EXIT_STALE}. With --remove-withdrawn, exactly the files listed as "
        "withdrawn whose SHA-256 matches the listed one are deleted (each is printed and "
        "recorded in DIR/.accord/removals.json); nothing else is ever deleted. Exit status: "
        f"{EXIT_OK} all verified and nothing stale, {EXIT_FAILED} a file failed, {EXIT_USAGE} "
        f"usage, {EXIT_STALE} stale files remain, {EXIT_INTERRUPTED} interrupted.",
    )
    fetch.add_argument("variant", metavar="VARIANT", help="variant slug, e.g. smic-e")
    fetch.add_argument("--to", dest="dest", required=True, metavar="DIR", type=Path)
    fetch.add_argument(
        "--portal",
        default=os.environ.get("ACCORD_PORTAL_URL"),
        help="portal URL (default: $ACCORD_PORTAL_URL)",
    )
    fetch.add_argument(
        "--token-file",
        type=Path,
        help="file holding your API token (default: $ACCORD_TOKEN holds the token itself)",
    )
    fetch.add_argument("--parallel", type=int, default=4, help="files at once (default 4)")
    fetch.add_argument("--dry-run", action="store_true", help="list what would be fetched")
    fetch.add_argument(
        "--recheck", action="store_true", help="re-hash complete files, not trusting the cache"
    )
    fetch.add_argument("--timeout", type=float, default=60.0, help="network timeout, seconds")
    fetch.add_argument(
        "--remove-withdrawn",
        action="store_true",
        help="delete the local copies of files withdrawn for consent (only those whose SHA-256 "
        "matches the manifest's withdrawn list; each printed and recorded in DIR/.accord/)",
    )

    manifest = sub.add_parser("manifest", help="signed manifests")
    msub = manifest.add_subparsers(dest="manifest_command", required=True)
    verify = msub.add_parser(
        "verify",
        help="check a manifest's signature offline",
        description="Check a manifest's Ed25519 signature with the portal's public key, "
        "offline. Without --key, the key `accord fetch` saved next to the manifest is used.",
    )
    verify.add_argument("file", type=Path, metavar="FILE")
    verify.add_argument("--key", type=Path, metavar="PEM", help="the portal's public key")
    verify.add_argument(
        "--data", type=Path, metavar="DIR", help="also check every file in DIR against it"
    )
    return parser


def _token(args: argparse.Namespace, console: Console) -> str | None:
    if args.token_file:
        try:
            mode = args.token_file.stat().st_mode
            token = args.token_file.read_text().strip().splitlines()[0].strip()
        except (OSError, IndexError):
            console.print(f"[red]error:[/] cannot read a token from {args.token_file}")
            return None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            console.print(
                f"[yellow]warning:[/] {args.token_file} is readable by others; "
                f"run `chmod 600 {args.token_file}`"
            )
        return token
    return os.environ.get("ACCORD_TOKEN") or None


def fetch_main(args: argparse.Namespace, console: Console) -> int:
    if not args.portal:
        console.print("[red]error:[/] give --portal URL or set ACCORD_PORTAL_URL")
        return EXIT_USAGE
    if not args.portal.startswith(("https://", "http://")):
        console.print(f"[red]error:[/] the portal URL must start with https:// ({args.portal})")
        return EXIT_USAGE
    token = _token(args, console)
    if not token:
        console.print(
            "[red]error:[/] no API token: give --token-file FILE or set ACCORD_TOKEN. Create a "
            f"read-only token at {args.portal.rstrip('/')}/account/tokens/"
        )
        return EXIT_USAGE
    if args.portal.startswith("http://") and not any(
        h in args.portal for h in ("://127.0.0.1", "://localhost", "://[::1]")
    ):
        console.print("[yellow]warning:[/] plain http: your token crosses the network unencrypted")
    portal = Portal(args.portal, token, timeout=args.timeout)
    fetcher = Fetcher(
        portal=portal,
        variant=args.variant,
        dest=args.dest,
        parallel=args.parallel,
        recheck=args.recheck,
        remove_withdrawn=args.remove_withdrawn,
        console=console,
    )
    try:
        outcome = fetcher.run(dry_run=args.dry_run)
    except (PortalError, FetchError) as exc:
        console.print(f"[red]error:[/] {exc}")
        return EXIT_FAILED
    except OSError as exc:  # e.g. DIR is a file, or the disk is full
        console.print(f"[red]error:[/] {exc.filename or args.dest}: {exc.strerror or exc}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        console.print("Interrupted. Partial files are kept; run the same command to resume.")
        return EXIT_INTERRUPTED
    finally:
        portal.close()
    out = Console(soft_wrap=True)
    if args.dry_run:
        return EXIT_STALE if _print_stale(out, outcome, fetcher, dry_run=True) else EXIT_OK
    if outcome.failed:
        out.print(f"FAILED: {len(outcome.failed)} file(s) did not download and verify:")
        for path, why in sorted(outcome.failed.items()):
            out.print(f"  {path}: {why}")
        _print_stale(out, outcome, fetcher)
        return EXIT_FAILED
    out.print(
        f"OK: {len(outcome.fetched)} fetched, {len(outcome.complete)} already complete; every "
        f"file matches the signed manifest in {fetcher.dest}"
    )
    if outcome.removed:
        out.print(
            f"REMOVED: {len(outcome.removed)} withdrawn file(s), recorded in "
            f"{fetcher.meta / 'removals.json'}:"
        )
        for item in outcome.removed:
            out.print(f"  {item.path}")
    if _print_stale(out, outcome, fetcher):
        return EXIT_STALE
    return EXIT_OK


def _print_stale(
    out: Console, outcome: Outcome, fetcher: Fetcher, *, dry_run: bool = False
) -> bool:
    if not outcome.stale:
        return False
    release = fetcher.release
    must = [s for s in outcome.stale if s.withdrawn]
    out.print(
        f"STALE: {len(outcome.stale)} file(s) in {fetcher.dest} are not in release {release} "
        f"of {fetcher.variant}; {len(must)} of them listed as withdrawn for consent:"
    )
    for item in outcome.stale:
        out.print(f"  {item.describe(release)}")
    removable = any(s.must_delete and s.withdrawn and s.withdrawn.path == s.path for s in must)
    if removable and (dry_run or not fetcher.remove_withdrawn):
        out.print(
            "Run the same command with --remove-withdrawn to delete the withdrawn copies "
            "(only those whose SHA-256 matches), then confirm the deletion in the portal if "
            "the custodian asked you to."
        )
    return True


def verify_main(args: argparse.Namespace, console: Console) -> int:
    key_path = args.key or args.file.parent / "signing-key.pem"
    if not key_path.exists():
        console.print(
            f"[red]error:[/] no public key at {key_path}; give --key PEM (the portal publishes "
            "it at /.well-known/accord-signing-key)"
        )
        return EXIT_USAGE
    try:
        public_key = load_public_key(key_path.read_bytes())
        manifest = verify_document(args.file.read_bytes(), public_key)
    except OSError as exc:
        console.print(f"[red]FAILED:[/] cannot read {exc.filename}: {exc.strerror}")
        return EXIT_FAILED
    except ManifestError as exc:
        console.print(f"[red]FAILED:[/] {args.file}: {exc}")
        return EXIT_FAILED
    out = Console(soft_wrap=True)
    out.print(
        f"OK: {args.file} is signed by key {key_id(public_key)}: "
        f"{manifest['variant']['slug']} release {manifest['variant']['release']}, licence "
        f"{manifest['licence']['reference']}, {len(manifest['files'])} files, issued "
        f"{manifest['issued_at']} to {manifest['licensee']['email']}"
    )
    if args.data:
        from accord.client.fetch import safe_relpath, sha256_file

        bad = []
        for entry in manifest["files"] + (manifest.get("documents") or []):
            path = args.data / safe_relpath(entry["path"])
            if not path.is_file():
                bad.append(f"{entry['path']}: missing")
            elif sha256_file(path).hexdigest() != entry["sha256"]:
                bad.append(f"{entry['path']}: SHA-256 differs from the manifest")
        for line in bad:
            out.print(f"  FAILED {line}")
        if bad:
            return EXIT_FAILED
        out.print(f"OK: every file in {args.data} matches.")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Also the ``accord`` console script of the accord-client distribution (argv from sys)."""
    args = _parser().parse_args(argv)
    console = Console(stderr=True, soft_wrap=True)
    if args.command == "fetch":
        return fetch_main(args, console)
    return verify_main(args, console)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
