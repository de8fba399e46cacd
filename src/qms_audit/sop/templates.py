"""Finding SOP templates and running them safely.

Templates run in Jinja2's ImmutableSandboxedEnvironment with StrictUndefined: a template cannot reach
Python internals or change the data it is given, and a field missing from the profile is an error naming
the template line and the field, never a silent blank in an official document.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path

from qms_audit.infra.errors import InvalidFile, NotFound, Problem, QmsError, choice_hint
from qms_audit.infra.files import MIB, read_text_bounded
from qms_audit.infra.locations import SOP_TEMPLATES, Workspace, shipped_dir

TEMPLATE_SUFFIX = ".md.j2"
MAX_TEMPLATE_BYTES = 1 * MIB


@dataclass(frozen=True)
class TemplateFile:
    sop_id: str
    path: Path
    source: str  # "workspace" or "shipped"


def template_files(workspace: Workspace) -> dict[str, TemplateFile]:
    """SOP id -> template; a workspace template overrides the shipped one of the same name."""
    found: dict[str, TemplateFile] = {}
    folders = []
    with contextlib.suppress(QmsError):  # an installation without shipped data uses the workspace's templates
        folders.append((shipped_dir() / SOP_TEMPLATES, "shipped"))
    folders.append((workspace.sop_templates_dir, "workspace"))
    for folder, source in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob(f"*{TEMPLATE_SUFFIX}")):
            sop_id = path.name[: -len(TEMPLATE_SUFFIX)]
            if source == "workspace" or sop_id not in found:
                found[sop_id] = TemplateFile(sop_id, path, source)
    return found


def environment():
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, trim_blocks=True,
                                        lstrip_blocks=True, keep_trailing_newline=True)
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
    from jinja2 import TemplateError, TemplateSyntaxError, UndefinedError
    from jinja2.sandbox import SecurityError

    shown = shown or str(template.path)
    source = read_text_bounded(template.path, max_bytes=MAX_TEMPLATE_BYTES, what="SOP template", shown=shown)
    env = environment()
    try:
        compiled = env.from_string(source)
    except TemplateSyntaxError as exc:
        raise InvalidFile(problems=[Problem(f"template syntax error: {exc.message}", file=shown, line=exc.lineno,
                                            hint="check the {% %} and {{ }} on this line")]) from None
    try:
        return compiled.render(**context)
    except SecurityError as exc:
        raise InvalidFile(problems=[Problem(f"refused: the template tries to reach something it may not ({exc})",
                                            file=shown, line=_template_line(exc),
                                            hint="templates may only use the profile and standard fields")]) from None
    except UndefinedError as exc:
        # Jinja leaves the message out when the template raised the error itself (an empty `undefined` call)
        message = exc.message or "the template uses a value that is not defined"
        raise InvalidFile(problems=[Problem(message, file=shown, line=_template_line(exc),
                                            hint=_undefined_hint(message, context))]) from None
    except TemplateError as exc:
        raise InvalidFile(problems=[Problem(f"template error: {exc}", file=shown, line=_template_line(exc))]) from None


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
        return "add that field to institution.yaml, or fix the template's spelling"
    if match:
        return choice_hint(match.group(1), sorted(context))
    return "add the field to institution.yaml or fix the template"


def find_template(workspace: Workspace, sop_id: str) -> TemplateFile:
    files = template_files(workspace)
    if sop_id not in files:
        raise NotFound(f"no template for SOP '{sop_id}' ({choice_hint(sop_id, sorted(files))}); add "
                       f"{SOP_TEMPLATES}/{sop_id}{TEMPLATE_SUFFIX}")
    return files[sop_id]
