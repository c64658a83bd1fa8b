"""`berth completion bash|zsh`: a shell completion script made from the argparse parser
itself, so every subcommand and option a release has completes without a separate list to
keep in step. zsh uses the same script through bashcompinit."""

from __future__ import annotations

import argparse

SHELLS = ("bash", "zsh")


def words_by_path(parser: argparse.ArgumentParser, path: str = "") -> dict[str, list[str]]:
    """For each command path (`""`, `"repo"`, `"repo ls"`): the subcommands and options that
    may follow it."""
    words: list[str] = []
    found: dict[str, list[str]] = {path: words}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                words.append(name)
                found.update(words_by_path(child, f"{path} {name}".strip()))
        else:
            words.extend(o for o in action.option_strings if o.startswith("--") or len(o) == 2)
    return found


def script(parser: argparse.ArgumentParser, shell: str) -> str:
    table = words_by_path(parser)
    cases = "\n".join(
        f'        "{path}") echo "{" ".join(sorted(set(words)))}" ;;'
        for path, words in sorted(table.items())
    )
    body = f"""# berth {shell} completion: eval "$(berth completion {shell})"
_berth_words() {{
    case "$1" in
{cases}
        *) return 1 ;;
    esac
}}

_berth() {{
    local cur path next i
    cur="${{COMP_WORDS[COMP_CWORD]}}"
    path=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${{COMP_WORDS[i]}}" in -*) continue ;; esac
        next="${{path:+$path }}${{COMP_WORDS[i]}}"
        if _berth_words "$next" >/dev/null; then path="$next"; fi
    done
    COMPREPLY=($(compgen -W "$(_berth_words "$path")" -- "$cur"))
}}
complete -o default -F _berth berth
"""
    if shell == "zsh":
        body = "autoload -U +X bashcompinit && bashcompinit\n" + body
    return body
