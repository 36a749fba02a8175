"""The `parlour` command: write the config, manage rooms, check the file, serve.

Expected problems end as a sentence on stderr and exit code 1 (2 for a malformed command line,
from argparse); a traceback means a bug.
"""

from __future__ import annotations

import argparse
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
    text = configfile.new_config_text(salt, base_path, keys.generate_path_secret(), verifiers)
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
    print(f"Join link:  {settings.join_link(passphrase)}")
    if caveat := settings.link_caveat():
        print(caveat)
    print(
        "The passphrase is not stored anywhere, not even in the config: note it now and give "
        "it only to the people who should join.\n"
        "A running server picks the room up when it gets SIGHUP (kill -HUP <pid>)."
    )
    return 0


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


def _check(args: argparse.Namespace) -> int:
    settings = _load(args.config, fresh=True)
    count = len(settings.rooms)
    print(f"{args.config}: OK ({count} room{'' if count == 1 else 's'})")
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

    return run(settings, first_room=first_room)


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
    add.set_defaults(handler=_room_add)
    remove = rooms.add_parser("remove", parents=[common], help="remove a room")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(handler=_room_remove)
    rooms.add_parser("list", parents=[common], help="list rooms").set_defaults(handler=_room_list)

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
    commands.add_parser(
        "serve", parents=[common], help="run the server (writes a config on first run)"
    ).set_defaults(handler=_serve)
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
