"""The `parlour` command: write the config, manage rooms and hosts, check the file, serve.

Expected problems end as a sentence on stderr and exit code 1 (2 for a malformed command line,
from argparse); a traceback means a bug.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path

from parlour import __version__, config, config_keys, keys
from parlour.settings import Settings

# configfile (tomlkit) and the server (aiohttp) are imported inside the commands that use them:
# `parlour serve` runs on the web stack and `tomllib` alone (docs/performance.md, idle memory),
# and the other commands never load the web stack.

DEFAULT_CONFIG = Path("parlour.toml")
FIRST_ROOM = "lounge"
MIN_PASSPHRASE_CHARS = 12
# The stretch behind every verifier written: the protocol's count, as browsers use. Tests that run
# these commands in-process lower it to save 600,000 iterations a room; nothing else sets it.
STRETCH_ITERATIONS = keys.KDF_ITERATIONS
HOST_SECRET_BYTES = 32  # the host page's path segment: 43 characters of base64url
RELOAD_HINT = "A running server {} when it gets SIGHUP (kill -HUP <pid>)."


class UserError(Exception):
    """Something the operator can fix; the message says what."""


def _load(path: Path, *, fresh: bool = False) -> Settings:
    """The settings, or every problem as a UserError; `fresh` adds fresh secrets to the fixes,
    for `parlour check` on a terminal, never for `serve`, whose output is the server's log."""
    try:
        return config.load(path)
    except config.ConfigError as error:
        lines = [
            f"{problem} A fresh one: {problem.fresh}" if fresh and problem.fresh else str(problem)
            for problem in error.problems
        ]
        raise UserError("\n".join(lines)) from None


def create_config(path: Path, rooms: Sequence[tuple[str, str]] = ()) -> None:
    """Write a new parlour.toml with fresh secrets and the given (name, passphrase) rooms."""
    from parlour import configfile

    salt = keys.generate_salt()
    verifiers = [
        (name, keys.room_keys(passphrase, salt, STRETCH_ITERATIONS).verifier)
        for name, passphrase in rooms
    ]
    base_path = "/" + keys.generate_path_secret()
    text = configfile.new_config_text(salt, base_path, verifiers)
    configfile.write_new(path, text)


def first_run(path: Path) -> tuple[str, str]:
    """`serve` without a config: write one with a room to try; returns (name, passphrase)."""
    room = (FIRST_ROOM, keys.generate_passphrase())
    create_config(path, [room])
    return room


def _init(args: argparse.Namespace) -> int:
    path: Path = args.config
    if path.exists() and not args.force:
        raise UserError(
            f"{path} already exists. Its salt is what every room passphrase depends on; "
            "to replace it anyway (every room then needs a new passphrase), add --force."
        )
    create_config(path)
    print(f"Wrote {path} with fresh secrets and no rooms.")
    print("Next: parlour room add NAME   (prints the room's passphrase and join link)")
    return 0


def _read_passphrase() -> str:
    passphrase = keys.normalize_passphrase(sys.stdin.readline())
    if not passphrase:
        raise UserError("No passphrase on standard input; send one line.")
    if len(passphrase) < MIN_PASSPHRASE_CHARS:
        raise UserError(
            f"That passphrase has only {len(passphrase)} characters; use at least "
            f"{MIN_PASSPHRASE_CHARS}, or leave out --passphrase-stdin for a generated one."
        )
    return passphrase


def _room_add(args: argparse.Namespace) -> int:
    from parlour import configfile

    path: Path = args.config
    settings = _load(path)
    passphrase = _read_passphrase() if args.passphrase_stdin else keys.generate_passphrase()
    verifier = keys.room_keys(passphrase, settings.salt, STRETCH_ITERATIONS).verifier
    configfile.add_room(path, args.name, verifier, args.max_members)
    size = settings.max_members if args.max_members is None else args.max_members
    print(f"Added room {args.name} (up to {size} people) to {path}.")
    print(f"Passphrase: {passphrase}")
    link = settings.join_link(passphrase)
    print(f"Join link:  {link}")
    if _wants_qr(args.qr):
        from parlour.qr import terminal_qr

        print(terminal_qr(link))
    if caveat := settings.link_caveat():
        print(caveat)
    print(
        "The passphrase is not stored anywhere, not even in the config: note it now and give "
        "it only to the people who should join.\n"
        "A running server picks the room up when it gets SIGHUP (kill -HUP <pid>)."
    )
    return 0


def _wants_qr(choice: bool | None) -> bool:
    """--qr or --no-qr as given; else a QR code only on a terminal, where a phone can see it.
    Piped or logged (a file, journald), 20-odd lines of block characters would only bury the
    text, which stays usable as it always was."""
    return choice if choice is not None else sys.stdout.isatty()


def _room_remove(args: argparse.Namespace) -> int:
    from parlour import configfile

    configfile.remove_room(args.config, args.name)
    print(f"Removed room {args.name} from {args.config}.")
    print("A running server closes it when it gets SIGHUP (kill -HUP <pid>).")
    return 0


def _room_list(args: argparse.Namespace) -> int:
    from parlour import configfile

    rooms = configfile.list_rooms(args.config)
    if not rooms:
        print(f"No rooms in {args.config}. Add one: parlour room add NAME")
    width = max((len(name) for name, _ in rooms), default=0)
    for name, size in rooms:
        shown = "server.max_members people" if size is None else f"{size} people"
        print(f"{name:<{width}}  up to {shown}")
    return 0


def _listed(names: list[str]) -> str:
    """Names as the file holds them: spaces tidied (configfile writes them so)."""
    return ", ".join(" ".join(name.split()) for name in names)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _host_add(args: argparse.Namespace) -> int:
    from parlour import configfile

    path: Path = args.config
    if args.replace and (args.super or args.contact or args.permit):
        raise UserError(
            "--replace only makes a new page address, and keeps everything else about the "
            f"host; change the rest in {path}, or with parlour host permit/unpermit."
        )
    settings = _load(path)
    name: str = args.name
    secret = secrets.token_bytes(HOST_SECRET_BYTES)
    # What the server compares a page's secret with: SHA-256 of the segment's 32 bytes, as a
    # room verifier is of a locator (PROTOCOL.md, `desk`). The secret itself is never written.
    verifier = keys.verifier(secret)
    if args.replace:
        configfile.replace_host_verifier(path, name, verifier)
        print(f"New page address for host {name} in {path}.")
        _print_host_page(settings, name, secret)
        print(RELOAD_HINT.format("stops opening the old address"))
        return 0
    configfile.add_host(
        path,
        name,
        verifier,
        is_super=args.super,
        contacts=args.contact or (),
        permitted=args.permit or (),
    )
    role = " as the super-host (who also sees failed and suspicious attempts)" if args.super else ""
    print(f"Added host {name}{role} to {path}.")
    print(f"Visitors reach {name} by typing: {_listed(args.contact or [name])}")
    if args.permit:
        print(f"Permitted: {_listed(args.permit)}")
    else:
        print(
            f"Nobody is permitted yet, so {name} sees every visitor but can call none: "
            f"parlour host permit {name} VISITOR..."
        )
    _print_host_page(settings, name, secret)
    print(RELOAD_HINT.format("picks the host up"))
    return 0


def _print_host_page(settings: Settings, name: str, secret: bytes) -> None:
    print(f"Host page:  {settings.page_url()}{keys.b64url(secret)}")
    if caveat := settings.link_caveat():
        print(caveat)
    print(
        "This address is shown only once: the server keeps only a one-way image of it (the "
        "verifier), so nothing can show it again. Open it now and bookmark it, and give it to "
        f"{name} alone: whoever has it sees who is waiting and can call them.\n"
        f"To replace it (lost, or seen by someone else): parlour host add {name} --replace. "
        "The old address then stops working."
    )


def _host_remove(args: argparse.Namespace) -> int:
    from parlour import configfile

    configfile.remove_host(args.config, args.name)
    print(f"Removed host {args.name} from {args.config}.")
    print(RELOAD_HINT.format("stops opening the host's page"))
    return 0


def _host_list(args: argparse.Namespace) -> int:
    from parlour import configfile

    hosts = configfile.list_hosts(args.config)
    if not hosts:
        print(f"No hosts in {args.config}. Add one: parlour host add NAME")
    width = max((len(host.name) for host in hosts), default=0)
    for host in hosts:
        role = "super" if host.is_super else ""
        shown = "only permitted names shown" if host.only_permitted else ""
        line = (
            f"{host.name:<{width}}  {role:<5}  contacts: {', '.join(host.contacts)}; "
            f"{_plural(host.permitted, 'permitted name')}"
        )
        print(f"{line}; {shown}" if shown else line)
    return 0


def _host_permit(args: argparse.Namespace) -> int:
    from parlour import configfile

    _load(args.config)
    added, already = configfile.permit(args.config, args.name, args.visitors)
    if added:
        print(f"{args.name} may now call: {', '.join(added)}")
    if already:
        print(f"Already permitted: {', '.join(already)}")
    if added:
        print(RELOAD_HINT.format("applies it"))
    return 0


def _host_unpermit(args: argparse.Namespace) -> int:
    from parlour import configfile

    _load(args.config)
    removed, absent = configfile.unpermit(args.config, args.name, args.visitors)
    if removed:
        print(f"Taken off {args.name}'s permitted names: {', '.join(removed)}")
    if absent:
        print(f"Not on {args.name}'s permitted names: {', '.join(absent)}")
    if removed:
        print(RELOAD_HINT.format("applies it"))
    return 0


def _check(args: argparse.Namespace) -> int:
    settings = _load(args.config, fresh=True)
    counted = _plural(len(settings.rooms), "room")
    if settings.hosts:
        counted += ", " + _plural(len(settings.hosts), "host")
    print(f"{args.config}: OK ({counted})")
    if config.ticket_key_missing(settings):
        # Still OK, as files written before the key keep working; a fresh value only here, on
        # the operator's terminal, never in the server's log.
        print(
            f"Note: {config_keys.TICKET_KEY.name} is missing, so a restart unlocks every locked "
            f"room. Add under [secrets]: {config_keys.TICKET_KEY.leaf} = "
            f"{config_keys.TICKET_KEY.example_text()}"
        )
    if args.turn:
        return _check_turn(settings, args.timeout)
    return 0


def _check_turn(settings: Settings, timeout: float) -> int:
    """A real allocation at each TURN URL; 1 when any of them fails."""
    if settings.turn is None:
        raise UserError(
            f"{settings.source}: no TURN server to check: [turn] has no urls and secret. "
            "Fix: set up coturn and add it under [turn] (see docs/turn.md)"
        )
    import asyncio

    from parlour import turncheck

    results = asyncio.run(turncheck.check_all(settings.turn, timeout=timeout))
    for result in results:
        print(result)
    failed = sum(not result.ok for result in results)
    if failed:
        print(f"TURN: {failed} of {len(results)} URLs failed.", file=sys.stderr)
        return 1
    print(f"TURN: all {len(results)} URLs relay.")
    return 0


def _serve(args: argparse.Namespace) -> int:
    path: Path = args.config
    first_room = None
    if not path.exists():
        first_room = first_run(path)
        print(f"Wrote {path}: fresh secrets and one room, {first_room[0]}.")
    settings = _load(path)
    from parlour.server import run

    return run(settings, first_room=first_room, qr=_wants_qr(args.qr))


def _qr_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--qr",
        action=argparse.BooleanOptionalAction,
        help="print the join link also as a QR code (default: only when output is a terminal)",
    )


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        type=Path,
        default=DEFAULT_CONFIG,
        metavar="FILE",
        help="the configuration file (default: ./parlour.toml)",
    )
    parser = argparse.ArgumentParser(
        prog="parlour", description="A private, self-hosted video-calling service."
    )
    parser.add_argument("--version", action="version", version=f"parlour {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    init = commands.add_parser("init", parents=[common], help="write a new config file")
    init.add_argument("--force", action="store_true", help="replace an existing file")
    init.set_defaults(handler=_init)

    room = commands.add_parser("room", help="add, remove or list rooms")
    rooms = room.add_subparsers(required=True, metavar="ACTION")
    add = rooms.add_parser("add", parents=[common], help="add a room; prints its passphrase")
    add.add_argument("name", metavar="NAME")
    add.add_argument(
        "--passphrase-stdin",
        action="store_true",
        help="read the passphrase from one line of standard input instead of generating one",
    )
    add.add_argument("--max-members", type=int, metavar="N", help="room size, 2 to 8")
    _qr_option(add)
    add.set_defaults(handler=_room_add)
    remove = rooms.add_parser("remove", parents=[common], help="remove a room")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(handler=_room_remove)
    rooms.add_parser("list", parents=[common], help="list rooms").set_defaults(handler=_room_list)

    host = commands.add_parser("host", help="add, remove or list the front door's hosts")
    hosts = host.add_subparsers(required=True, metavar="ACTION")
    add = hosts.add_parser(
        "add", parents=[common], help="add a host; prints the address of its secret page"
    )
    add.add_argument("name", metavar="NAME")
    add.add_argument(
        "--super",
        action="store_true",
        help="the super-host, who also sees failed and suspicious attempts (one at most)",
    )
    add.add_argument(
        "--contact",
        action="append",
        metavar="NAME",
        help="a name visitors type to reach this host (repeat for more; default: NAME)",
    )
    add.add_argument(
        "--permit",
        action="append",
        metavar="VISITOR",
        help="a visitor's name this host expects and may call (repeat for more)",
    )
    add.add_argument(
        "--replace",
        action="store_true",
        help="a new page address for an existing host; the old one stops working",
    )
    add.set_defaults(handler=_host_add)
    remove = hosts.add_parser("remove", parents=[common], help="remove a host")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(handler=_host_remove)
    hosts.add_parser(
        "list", parents=[common], help="list hosts, never their page addresses"
    ).set_defaults(handler=_host_list)
    for action, handler, verb in (
        ("permit", _host_permit, "add visitors' names to"),
        ("unpermit", _host_unpermit, "take visitors' names off"),
    ):
        edit = hosts.add_parser(
            action, parents=[common], help=f"{verb} the names a host expects and may call"
        )
        edit.add_argument("name", metavar="NAME")
        edit.add_argument("visitors", nargs="+", metavar="VISITOR")
        edit.set_defaults(handler=handler)

    check = commands.add_parser("check", parents=[common], help="validate the config file")
    check.add_argument(
        "--turn",
        action="store_true",
        help="also make a real TURN allocation at each turn.urls entry with fresh credentials",
    )
    check.add_argument(
        "--timeout",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="how long --turn waits for each server (default: 5)",
    )
    check.set_defaults(handler=_check)
    serve = commands.add_parser(
        "serve", parents=[common], help="run the server (writes a config on first run)"
    )
    _qr_option(serve)
    serve.set_defaults(handler=_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except (UserError, config.ConfigEditError) as error:
        print(error, file=sys.stderr)
        return 1
    except OSError as error:
        print(f"{error.filename or 'parlour'}: {error.strerror or error}.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return code
