"""Finding SOP templates and running them safely.

Templates run in Jinja2's ImmutableSandboxedEnvironment with StrictUndefined: a template cannot reach
Python internals or change the data it is given, and a field missing from the profile is an error naming
the template line and the field, never a silent blank in an official document.

A template is a program someone else may have written, so its run is bounded too: a string or list
multiplied beyond the output limit is refused before it is built, the output is counted as it is written,
and (where the system can fork) the template runs in a child process with a memory limit that is killed
after `MAX_RENDER_SECONDS`. Each case ends in one line naming the template.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import signal
import sys
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from qms_audit.infra.errors import InvalidFile, NotFound, Problem, QmsError, choice_hint
from qms_audit.infra.files import MIB, human_size, read_text_bounded
from qms_audit.infra.i18n import ENGLISH, _
from qms_audit.infra.locations import SOP_TEMPLATES, Workspace, shipped_dir

TEMPLATE_SUFFIX = ".md.j2"
MAX_TEMPLATE_BYTES = 1 * MIB
MAX_RENDER_OUTPUT = 2 * MIB  # characters of Markdown; a thirteen-page SOP is about 30,000
MAX_RENDER_SECONDS = 10.0
MAX_RENDER_MEMORY = 512 * MIB  # address space the child may add to what it inherits
MAX_POWER_BITS = 4096  # an integer power of more bits is refused before it is computed


@dataclass(frozen=True)
class TemplateFile:
    sop_id: str
    path: Path
    source: str  # "workspace" or "shipped"
    language: str = ENGLISH  # the language the template is written in


def _template_folders(workspace: Workspace, language: str) -> list[tuple[Path, str]]:
    """Where templates in `language` are, shipped first: English ones in sop_templates/ itself, the others in
    sop_templates/<language>/."""
    folders = []
    with contextlib.suppress(QmsError):  # an installation without shipped data uses the workspace's templates
        folders.append((shipped_dir() / SOP_TEMPLATES, "shipped"))
    folders.append((workspace.sop_templates_dir, "workspace"))
    return folders if language == ENGLISH else [(folder / language, source) for folder, source in folders]


def template_files(workspace: Workspace, language: str = ENGLISH) -> dict[str, TemplateFile]:
    """SOP id -> template written in `language`; a workspace template overrides the shipped one of the same name
    and language."""
    found: dict[str, TemplateFile] = {}
    for folder, source in _template_folders(workspace, language):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob(f"*{TEMPLATE_SUFFIX}")):
            sop_id = path.name[: -len(TEMPLATE_SUFFIX)]
            if source == "workspace" or sop_id not in found:
                found[sop_id] = TemplateFile(sop_id, path, source, language)
    return found


def templates_for(workspace: Workspace, language: str) -> dict[str, TemplateFile]:
    """SOP id -> the template a draft in `language` is made from: the one written in that language, else the
    English one (a draft in English is better than none; `TemplateFile.language` tells which it is). A language
    template comes before an English one, even one the workspace overrides: the draft is wanted in the
    reader's language, and an institution customises it by placing sop_templates/<language>/<SOP id>.md.j2."""
    found = template_files(workspace)
    if language != ENGLISH:
        found.update(template_files(workspace, language))
    return found


class TemplateTooLarge(Exception):
    """A template asked for more than the bounds allow."""


def _size_of_product(left: object, right: object) -> int | None:
    """The length of `left * right` when it repeats a string or a sequence; None otherwise."""
    for seq, times in ((left, right), (right, left)):
        if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and not isinstance(times, bool):
            return len(seq) * max(times, 0)
    return None


def environment():
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class BoundedSandbox(ImmutableSandboxedEnvironment):
        """The sandbox, with repetition and powers checked before they run: `'x' * 4000000000` would take
        all the memory there is before any limit could see the output."""

        intercepted_binops = frozenset({"*", "**"})

        def call_binop(self, context, operator, left, right):
            if operator == "*":
                size = _size_of_product(left, right)
                if size is not None and size > MAX_RENDER_OUTPUT:
                    raise TemplateTooLarge(_("a repetition of {size} items (the limit for a whole SOP is {limit} "
                                             "characters)").format(size=f"{size:,}",
                                                                   limit=f"{MAX_RENDER_OUTPUT:,}"))
            if operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0 \
                    and abs(left) > 1 and abs(left).bit_length() * right > MAX_POWER_BITS:
                raise TemplateTooLarge(_("a power of {bits} bits").format(
                    bits=f"{abs(left).bit_length() * right:,}"))
            return super().call_binop(context, operator, left, right)

    env = BoundedSandbox(undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True,
                         keep_trailing_newline=True)
    env.filters["md"] = markdown_escape
    env.filters["cell"] = table_cell
    return env


def markdown_escape(value: object) -> str:
    """Text from the profile placed in Markdown: characters that would start markup are escaped."""
    text = str(value)
    return re.sub(r"([\\`*_{}\[\]<>#|])", r"\\\1", text)


def table_cell(value: object) -> str:
    """Text for a Markdown table cell: no line breaks, no column separators."""
    return markdown_escape(" ".join(str(value).split()))


def render_template(template: TemplateFile, context: dict, *, shown: str | None = None) -> str:
    """The template's Markdown, within the bounds above; InvalidFile (one problem, naming the template) when it
    fails or goes beyond them."""
    shown = shown or str(template.path)
    source = read_text_bounded(template.path, max_bytes=MAX_TEMPLATE_BYTES, what="SOP template", shown=shown)
    if _can_fork():
        return _render_in_child(source, context, shown)
    return _render(source, context, shown)


def _render(source: str, context: dict, shown: str) -> str:
    from jinja2 import TemplateError, TemplateSyntaxError, UndefinedError
    from jinja2.sandbox import SecurityError

    env = environment()
    try:
        compiled = env.from_string(source)
    except TemplateSyntaxError as exc:
        raise InvalidFile(problems=[Problem(_("template syntax error: {message}").format(message=exc.message),
                                            file=shown, line=exc.lineno,
                                            hint=_("check the {% %} and {{ }} on this line"))]) from None
    try:
        return _bounded_output(compiled.generate(**context), shown)
    except TemplateTooLarge as exc:
        raise InvalidFile(problems=[Problem(_("refused: {reason}").format(reason=exc), file=shown,
                                            line=_template_line(exc),
                                            hint=_("an SOP template writes text from the profile, not bulk data"))]
                          ) from None
    except (MemoryError, OverflowError) as exc:
        raise _too_much(shown, _("more memory than allowed ({error})").format(error=type(exc).__name__)) from None
    except SecurityError as exc:
        raise InvalidFile(problems=[Problem(_("refused: the template tries to reach something it may not "
                                              "({reason})").format(reason=exc),
                                            file=shown, line=_template_line(exc),
                                            hint=_("templates may only use the profile and standard fields"))]
                          ) from None
    except UndefinedError as exc:
        # Jinja leaves the message out when the template raised the error itself (an empty `undefined` call)
        message = exc.message or _("the template uses a value that is not defined")
        raise InvalidFile(problems=[Problem(message, file=shown, line=_template_line(exc),
                                            hint=_undefined_hint(message, context))]) from None
    except TemplateError as exc:
        raise InvalidFile(problems=[Problem(_("template error: {error}").format(error=exc), file=shown,
                                            line=_template_line(exc))]) from None


def _bounded_output(chunks: Iterable[str], shown: str) -> str:
    out: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_RENDER_OUTPUT:
            raise _too_much(shown, _("more than {limit} characters of output").format(limit=f"{MAX_RENDER_OUTPUT:,}"))
        out.append(chunk)
    return "".join(out)


def _too_much(shown: str, what: str) -> InvalidFile:
    return InvalidFile(problems=[Problem(_("refused: the template needs {what}").format(what=what), file=shown,
                                         hint=_("an SOP template writes text from the profile; look for loops and "
                                                "repetitions that never end"))])


# -- a run in a child process --------------------------------------------------------------------------------


def _can_fork() -> bool:
    return hasattr(os, "fork") and sys.platform != "win32" and os.environ.get("QMS_AUDIT_TEMPLATE_FORK") != "off"


def _render_in_child(source: str, context: dict, shown: str) -> str:
    """Render in a forked child under a memory limit, killed after MAX_RENDER_SECONDS; the text or the problem
    comes back as JSON through a pipe. The child only renders and writes; it never touches a record."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(reader)
        _child(source, context, shown, writer)
    os.close(writer)
    try:
        data = _collect(reader, pid)
    finally:
        os.close(reader)
    if data is None:
        raise _too_much(shown, _("more than {seconds} seconds").format(seconds=f"{MAX_RENDER_SECONDS:.0f}"))
    try:
        outcome = json.loads(data)
    except ValueError:
        outcome = None
    if not isinstance(outcome, dict):
        raise _too_much(shown, _("more memory than allowed ({size} more than the tool's)").format(
            size=human_size(MAX_RENDER_MEMORY)))
    if "text" in outcome:
        return str(outcome["text"])
    raise InvalidFile(problems=[Problem(**p) for p in outcome["problems"]])


def _child(source: str, context: dict, shown: str, writer: int) -> None:
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        _limit_memory()
        try:
            outcome: dict = {"text": _render(source, context, shown)}
        except InvalidFile as exc:
            outcome = {"problems": [asdict(p) for p in exc.problems]}
        data = json.dumps(outcome, ensure_ascii=False).encode("utf-8")
        with os.fdopen(writer, "wb") as out:
            out.write(data)
    except BaseException:  # out of memory on the way out: the parent reports it by the missing answer
        code = 1
    finally:
        os._exit(code)


def _limit_memory() -> None:
    import resource

    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/statm", encoding="ascii") as fh:
            in_use = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = in_use + MAX_RENDER_MEMORY
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _collect(reader: int, pid: int) -> bytes | None:
    """What the child sends, or None when it ran out of time (it is then killed)."""
    deadline = time.monotonic() + MAX_RENDER_SECONDS
    parts: list[bytes] = []
    size = 0
    limit = MAX_RENDER_OUTPUT * 6 + MIB  # JSON of the largest output allowed, escapes included
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready = select.select([reader], [], [], left)[0]
            if not ready:
                return None
            chunk = os.read(reader, 1 << 16)
            if not chunk:
                return b"".join(parts)
            size += len(chunk)
            if size > limit:
                return b""
            parts.append(chunk)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def _template_line(exc: BaseException) -> int | None:
    """The line of the template where rendering failed, from the traceback of the compiled template."""
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _undefined_hint(message: str, context: dict) -> str:
    match = re.search(r"'([^']+)' (?:has no attribute|is undefined)", message)
    attr = re.search(r"has no attribute '([^']+)'", message)
    if attr:
        return _("add that field to institution.yaml, or fix the template's spelling")
    if match:
        return choice_hint(match.group(1), sorted(context))
    return _("add the field to institution.yaml or fix the template")


def find_template(workspace: Workspace, sop_id: str, language: str = ENGLISH) -> TemplateFile:
    files = templates_for(workspace, language)
    if sop_id not in files:
        raise NotFound(_("no template for SOP '{sop_id}' ({hint}); add {path}").format(
            sop_id=sop_id, hint=choice_hint(sop_id, sorted(files)), path=f"{SOP_TEMPLATES}/{sop_id}{TEMPLATE_SUFFIX}"))
    return files[sop_id]
