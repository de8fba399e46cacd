"""The standard's clauses and requirements as a tree, with each rating and each clause's progress."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from qms_audit.domain.presentation import result_label
from qms_audit.model.audit import Grade
from qms_audit.model.standard import Clause
from qms_audit.tui.messages import RequirementChosen
from qms_audit.views.session import AuditSession

MARKS = {
    Grade.CONFORMITY: ("✓", "green"),
    Grade.GOOD_PRACTICE: ("★", "green"),
    Grade.OFI: ("○", "yellow"),
    Grade.OBSERVATION: ("!", "yellow"),
    Grade.MINOR_NC: ("✗", "red"),
    Grade.MAJOR_NC: ("✗", "bold red"),
    Grade.NOT_APPLICABLE: ("–", "dim"),
    Grade.NOT_ASSESSED: ("·", "dim"),
}

NodeData = tuple[str, str]  # ("clause", number) or ("req", ref)


class Checklist(Tree[NodeData]):
    DEFAULT_CSS = """
    Checklist { width: 42%; min-width: 38; max-width: 86; border-right: solid $primary-background;
                overflow-x: hidden; }
    """

    def __init__(self, session: AuditSession, **kwargs) -> None:
        super().__init__(session.standard.title, **kwargs)
        self.session = session
        self.show_root = False
        self.guide_depth = 2
        self.filter_key = "all"
        self.req_nodes: dict[str, TreeNode[NodeData]] = {}
        self.clause_nodes: dict[str, TreeNode[NodeData]] = {}

    def on_mount(self) -> None:
        self.rebuild()

    def requirement_label(self, ref: str) -> Text:
        result = self.session.result(ref)
        req = self.session.standard.requirement(ref)
        if self.session.standard.uses_levels and result.level is not None:
            mark, style = "◆", "cyan"
        else:
            mark, style = MARKS[result.grade]
        short = result_label(self.session.standard, result, short=True)
        text = Text()
        text.append(f"{mark} ", style=style)
        text.append(f"{ref:<8}", style="bold")
        text.append(f"{short:<4}", style=style)
        if self.session.dispute_for(ref):
            text.append("? ", style="bold reverse red")  # disputed after a merge: the lead has to decide
        text.append(req.title if req else "")
        return text

    def clause_label(self, clause: Clause) -> Text:
        progress = self.session.progress(clause.number)
        done = progress.applicable and progress.assessed == progress.applicable
        text = Text()
        text.append(f"{clause.number} ", style="bold")
        text.append(f"{progress.assessed}/{progress.applicable} ", style="green" if done else "yellow")
        if progress.findings:
            text.append(f"●{progress.findings} ", style="red")
        text.append(clause.title)
        return text

    def rebuild(self, filter_key: str | None = None) -> None:
        if filter_key is not None:
            self.filter_key = filter_key
        self.clear()
        self.req_nodes.clear()
        self.clause_nodes.clear()
        session = self.session
        in_scope = {r.ref for r in session.requirements()}

        def add(parent: TreeNode[NodeData], clause: Clause) -> bool:
            refs = [r.ref for r in clause.requirements if r.ref in in_scope
                    and session.matches(r.ref, self.filter_key)]
            node = parent.add(self.clause_label(clause), data=("clause", clause.number), expand=True)
            self.clause_nodes[clause.number] = node
            shown = False
            for ref in refs:
                self.req_nodes[ref] = node.add_leaf(self.requirement_label(ref), data=("req", ref))
                shown = True
            for sub in clause.clauses:
                shown = add(node, sub) or shown
            if not shown:
                node.remove()
                del self.clause_nodes[clause.number]
            return shown

        for clause in session.standard.clauses:
            if clause.informative:
                continue
            add(self.root, clause)

    def refresh_ref(self, ref: str) -> None:
        node = self.req_nodes.get(ref)
        if node is not None:
            node.set_label(self.requirement_label(ref))
        number = ref.rsplit(".", 1)[0]
        while number:
            clause_node = self.clause_nodes.get(number)
            clause = self.session.standard.clause(number)
            if clause_node is not None and clause is not None:
                self._relabel_line(clause_node, self.clause_label(clause))
            number = number.rsplit(".", 1)[0] if "." in number else ""

    def _relabel_line(self, node: TreeNode[NodeData], label: Text) -> None:
        """Change a clause's label and repaint only its own line.

        TreeNode.set_label repaints every visible line below the node as well; for a clause that is most of
        the screen, and rating a requirement changes the progress of two or three clauses.
        """
        node._label = self.process_label(label)
        node._updates += 1
        if node._line >= 0:
            self._refresh_line(node._line)

    def select_ref(self, ref: str, *, scroll: bool = True) -> bool:
        node = self.req_nodes.get(ref)
        if node is None:
            return False
        self.cursor_line = node._line
        if scroll:
            self.keep_in_view(node._line)
        return True

    def keep_in_view(self, line: int) -> None:
        """Scroll only when the line is off screen, and then by a good stretch: every scroll repaints the whole
        tree, so scrolling one line per step would make stepping through a long clause slow."""
        top, height = self.scroll_offset.y, self.scrollable_content_region.height
        if height <= 0 or top <= line < top + height:
            return
        self.scroll_to(y=max(0, line - height // 4), animate=False)

    @property
    def current_ref(self) -> str | None:
        node = self.cursor_node
        if node is not None and node.data and node.data[0] == "req":
            return node.data[1]
        return None

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[NodeData]) -> None:
        event.stop()
        data = event.node.data
        if data and data[0] == "req":
            self.post_message(RequirementChosen(data[1]))
