"""The deletion gate's edges, as `make mutation` found them unguarded: which preview steps count and how one
replace's several steps become one row, both input formats and their errors, the exact report and comment
text, the comment cut, and the command line (limits, approvals, the override variable, files, stdin).
No engine: previews are handcrafted.
"""

from __future__ import annotations

import builtins
import io
import json
from pathlib import Path
from typing import Any

import pytest

from fastpix_provider.cli import gate
from fastpix_provider.cli.gate import (
    PlanError,
    Removal,
    judge,
    main,
    read_preview,
    removals_from_steps,
    render_markdown,
    summary_line,
)

MEDIA = "pulumi-python:dynamic/fastpix:Media"


def urn(key: str) -> str:
    return f"urn:pulumi:dev::fastpix-media::{MEDIA}::{key}"


def step(op: str, key: str, media_id: str | None = "m-1", title: str | None = "T", *, where: str = "oldState",
         **options: Any) -> dict[str, Any]:
    old: dict[str, Any] = {"urn": urn(key), "type": MEDIA, **options}
    if media_id is not None:
        old["id"] = media_id
    if title is not None:
        old["outputs"] = {"title": title}
    return {"op": op, "urn": urn(key), where: old}


def verdict(*removals: Removal, max_deletes: int = 0, max_replaces: int = 0, override: bool = False,
            approved_by: str = "", errors: tuple[str, ...] = ()) -> gate.Verdict:
    return judge(list(removals), max_deletes=max_deletes, max_replaces=max_replaces, override=override,
                 approved_by=approved_by, errors=errors)


# -- which steps count ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("op", ["create", "same", "update", "read", "import", "refresh", "remove-pending-replace", ""])
def test_steps_that_delete_nothing_are_not_listed(op: str) -> None:
    assert removals_from_steps([step(op, "a")]) == []


def test_a_step_without_an_op_or_a_type_is_not_listed() -> None:
    assert removals_from_steps([{"urn": urn("a"), "oldState": {"type": MEDIA, "id": "m"}}]) == []
    assert removals_from_steps([{"op": "delete", "urn": urn("a"), "oldState": {"id": "m"}}]) == []
    assert removals_from_steps([{"op": "delete", "urn": urn("a")}]) == []


def test_the_type_is_read_from_the_step_or_else_its_old_state_and_must_end_in_the_media_type() -> None:
    top_level = {"op": "delete", "urn": urn("a"), "type": MEDIA, "oldState": {"id": "m-1"}}
    assert removals_from_steps([top_level]) == [Removal("a", "delete", "m-1", "")]
    other = {"op": "delete", "urn": urn("b"), "type": "aws:s3/bucket:Bucket", "oldState": {"type": MEDIA, "id": "m"}}
    assert removals_from_steps([other]) == [], "the step's own type wins over its old state's"
    prefixed = {"op": "delete", "urn": urn("c"), "oldState": {"type": "fastpix:Media:Other", "id": "m"}}
    assert removals_from_steps([prefixed]) == []


def test_delete_and_discard_steps_and_each_kind_of_replace_step_are_listed() -> None:
    found = removals_from_steps([step("delete", "d"), step("discard", "g", "m-g"), step("replace", "r1", "m-r1"),
                                 step("create-replacement", "r2", "m-r2"), step("delete-replaced", "r3", "m-r3"),
                                 step("discard-replaced", "r4", "m-r4")])
    assert found == [Removal("d", "delete", "m-1", "T"),
                     Removal("r1", "replace", "m-r1", "T"), Removal("r2", "replace", "m-r2", "T"),
                     Removal("r3", "replace", "m-r3", "T"), Removal("r4", "replace", "m-r4", "T", retained=True),
                     Removal("g", "release", "m-g", "T", retained=True)]


def test_a_removal_is_a_release_when_the_engine_will_not_call_the_providers_delete() -> None:
    found = removals_from_steps([step("delete", "kept", retainOnDelete=True), step("delete", "ext", external=True),
                                 step("delete", "plain", retainOnDelete=False, external=False)])
    assert found == [Removal("plain", "delete", "m-1", "T"),
                     Removal("ext", "release", "m-1", "T", retained=True),
                     Removal("kept", "release", "m-1", "T", retained=True)]


def test_rows_are_ordered_deletes_then_replaces_then_releases_each_by_key() -> None:
    found = removals_from_steps([step("delete", "z-kept", retainOnDelete=True), step("replace", "y"),
                                 step("delete", "b"), step("replace", "a-recut"), step("delete", "c"),
                                 step("delete", "c-kept", retainOnDelete=True)])
    assert [(r.action, r.key) for r in found] == [("delete", "b"), ("delete", "c"), ("replace", "a-recut"),
                                                 ("replace", "y"), ("release", "c-kept"), ("release", "z-kept")]


def test_the_id_and_title_come_from_the_old_state_its_outputs_or_its_inputs() -> None:
    no_id = step("delete", "a", None, None, outputs={"media_id": "m-out", "title": "From outputs"})
    inputs_only = step("delete", "b", "m-b", None, inputs={"title": "From inputs"})
    outputs_win = step("delete", "c", "m-c", None, inputs={"title": "Declared", "media_id": "x"},
                       outputs={"title": "Recorded", "media_id": "y"})
    nothing = step("delete", "d", None, None)
    assert removals_from_steps([no_id, inputs_only, outputs_win, nothing]) == [
        Removal("a", "delete", "m-out", "From outputs"), Removal("b", "delete", "m-b", "From inputs"),
        Removal("c", "delete", "m-c", "Recorded"), Removal("d", "delete", "", "")]


def test_the_key_is_the_last_part_of_the_urn_even_when_it_holds_colons() -> None:
    urn_with_colons = f"urn:pulumi:dev::fastpix-media::{MEDIA}::lesson:1"
    assert removals_from_steps([{"op": "delete", "urn": urn_with_colons, "oldState": {"type": MEDIA, "id": "m"}}])[0].key \
        == "lesson:1"


def test_a_media_step_without_a_urn_is_still_listed() -> None:
    assert removals_from_steps([{"op": "delete", "oldState": {"type": MEDIA, "id": "m-1"}}]) == \
        [Removal("", "delete", "m-1", "")]


def test_the_old_state_is_also_read_as_old_and_an_empty_old_state_falls_through() -> None:
    found = removals_from_steps([step("delete", "a", where="old"),
                                 {"op": "delete", "urn": urn("b"), "oldState": {}, "old": {"type": MEDIA, "id": "m-b"}}])
    assert found == [Removal("a", "delete", "m-1", "T"), Removal("b", "delete", "m-b", "")]


def test_the_steps_of_one_replace_make_one_row_that_gathers_what_each_step_knows() -> None:
    steps = [{"op": "replace", "urn": urn("r"), "type": MEDIA, "oldState": {}},
             step("create-replacement", "r", "m-old", None),
             step("delete-replaced", "r", "m-other", "Title", protect=True, retainOnDelete=True)]
    assert removals_from_steps(steps) == [Removal("r", "replace", "m-old", "Title", protected=True, retained=True)]


def test_a_replace_step_after_a_delete_step_of_the_same_urn_makes_it_a_replace() -> None:
    assert removals_from_steps([step("delete", "r", "m-1"), step("delete-replaced", "r", "m-2")]) == \
        [Removal("r", "replace", "m-2", "T")]
    assert removals_from_steps([step("delete", "r", "m-1"), step("delete", "r", "m-2")]) == \
        [Removal("r", "delete", "m-1", "T")], "a repeated delete keeps the first row"


def test_a_replace_keeps_the_first_steps_values_when_it_has_them() -> None:
    steps = [step("replace", "r", "m-1", "First"), step("delete-replaced", "r", "m-2", "Second")]
    assert removals_from_steps(steps) == [Removal("r", "replace", "m-1", "First")]


# -- the two input formats ----------------------------------------------------------------------------------------

def test_a_preview_documents_errors_are_its_error_diagnostics_on_one_line_each() -> None:
    document = {"steps": None, "diagnostics": [
        {"severity": "error", "message": "  resource c\n  cannot be deleted  "},
        {"severity": "warning", "message": "just a warning"}, "not a diagnostic", {"severity": "error"}]}
    assert read_preview(json.dumps(document)) == gate.Preview([], ["resource c cannot be deleted", ""])


def test_a_preview_document_without_diagnostics_has_no_errors() -> None:
    assert read_preview(json.dumps({"steps": [step("delete", "a")], "diagnostics": None})) == \
        gate.Preview([Removal("a", "delete", "m-1", "T")], [])


def test_an_event_log_gives_its_steps_and_its_error_diagnostics() -> None:
    events = [{"sequence": 0, "preludeEvent": {}}, 7, {"sequence": 1, "resourcePreEvent": {"metadata": step("delete", "a")}},
              {"sequence": 2, "resourcePreEvent": {"metadata": None}},
              {"sequence": 3, "diagnosticEvent": {"severity": "error", "message": "boom\nthere"}},
              {"sequence": 4, "diagnosticEvent": {"severity": "info", "message": "fine"}}]
    preview = read_preview("\n".join(json.dumps(e) for e in events) + "\n")
    assert preview == gate.Preview([Removal("a", "delete", "m-1", "T")], ["boom there"])


def test_an_event_log_of_one_event_with_no_steps_is_an_empty_preview() -> None:
    assert read_preview(json.dumps({"sequence": 0, "cancelEvent": {}})) == gate.Preview([], [])


def test_an_event_log_of_several_events_with_no_steps_is_refused() -> None:
    with pytest.raises(PlanError, match=r"^found no preview steps: pass the output of `pulumi preview --json`$"):
        read_preview('{"sequence": 0}\n{"sequence": 1}')


@pytest.mark.parametrize(("text", "message"), [
    ("  \n ", "the input is empty: pass the output of `pulumi preview --json`"),
    ('{"sequence": 0}\nnot json', "line 2 is not JSON: pass `pulumi preview --json` output or an event log"),
    ("not json", "line 1 is not JSON: pass `pulumi preview --json` output or an event log"),
    ("[1, 2]", "found no preview steps: pass the output of `pulumi preview --json`"),
])
def test_input_that_is_not_a_preview_is_refused_saying_what_to_pass(text: str, message: str) -> None:
    with pytest.raises(PlanError) as raised:
        read_preview(text)
    assert str(raised.value) == message


# -- the report --------------------------------------------------------------------------------------------------

def test_the_summary_line_names_the_state_and_every_count() -> None:
    delete, replace, release = (Removal("d", "delete", "m", ""), Removal("r", "replace", "m", ""),
                                Removal("k", "release", "m", "", retained=True))
    assert summary_line(verdict(delete, replace, release, max_deletes=2, max_replaces=3)) == (
        "**passed**: deletes 1, replaces 1, releases 1 (kept in FastPix); allowed without approval: "
        "2 deletes, 3 replaces.")
    assert summary_line(verdict(delete)).startswith("**blocked**: deletes 1, replaces 0, releases 0 ")
    assert summary_line(verdict(replace, approved_by="alice")).startswith("**approved**: deletes 0, replaces 1")
    assert summary_line(verdict(errors=("x",))).startswith("**blocked: the preview failed**: deletes 0")


def test_a_blocked_report_reads_in_full() -> None:
    report = render_markdown(verdict(Removal("a", "delete", "m-a", "A\nline"), Removal("r", "replace", "m-r", "R\r"),
                                     Removal("k", "release", "m-k", "K", retained=True)), stack="prod")
    assert report == (
        "### FastPix deletion gate (prod): blocked\n"
        "\n"
        "**blocked**: deletes 1, replaces 1, releases 1 (kept in FastPix); allowed without approval: 0 deletes, "
        "0 replaces.\n"
        "\n"
        "This change **deletes 1** and **replaces 1** media. FastPix cannot restore a deleted media; a replace "
        "deletes the old media and its playback URLs.\n"
        "\n"
        "| key | action | media id | title |\n"
        "|---|---|---|---|\n"
        "| `a` | delete | `m-a` | A line |\n"
        "| `r` | replace | `m-r` | R  |\n"
        "| `k` | released (kept in FastPix) | `m-k` | K |\n"
        "\n"
        "1 media under `retainOnDelete` leave the stack and stay in FastPix (their playback URLs keep working); "
        "they need no approval.\n"
        "To apply it, it needs an approval given by someone other than the pull request's author (the pipeline "
        "passes it as `--approved-by`; locally `--allow` or FASTPIX_ALLOW_DELETIONS=true). Or keep the media: "
        "restore the catalog entries; or first merge a change that marks them `retainOnDelete: true` (applied by "
        "`pulumi up`), then remove them: they are then released, not deleted.\n")


def test_a_report_of_releases_only_passes_with_no_warning_and_no_approval_advice() -> None:
    report = render_markdown(verdict(Removal("k", "release", "m-k", "K", retained=True)))
    assert report.startswith("### FastPix deletion gate: passed\n\n**passed**: ")
    assert "This change **deletes" not in report and "approval given by" not in report and "Approved" not in report
    assert report.endswith("| `k` | released (kept in FastPix) | `m-k` | K |\n\n1 media under `retainOnDelete` leave "
                           "the stack and stay in FastPix (their playback URLs keep working); they need no approval.\n")


def test_a_report_within_the_limits_gives_no_advice() -> None:
    report = render_markdown(verdict(Removal("a", "delete", "m-a", "A"), max_deletes=1))
    assert report.endswith("| `a` | delete | `m-a` | A |\n\n")


@pytest.mark.parametrize(("removal", "counts"), [(Removal("a", "delete", "m", ""), "**deletes 1** and **replaces 0**"),
                                                 (Removal("a", "replace", "m", ""), "**deletes 0** and **replaces 1**")])
def test_a_delete_alone_or_a_replace_alone_is_warned_about(removal: Removal, counts: str) -> None:
    assert f"\nThis change {counts} media. FastPix cannot restore a deleted media" in render_markdown(verdict(removal))


def test_an_empty_report_says_nothing_is_removed() -> None:
    assert render_markdown(verdict()) == ("### FastPix deletion gate: passed\n\n" + summary_line(verdict()) + "\n\n"
                                          "This change deletes, releases and replaces no media.\n")


@pytest.mark.parametrize(("override", "approved_by", "who"), [(True, "", "FASTPIX_ALLOW_DELETIONS / --allow"),
                                                              (False, "alice", "@alice"), (True, "bob", "@bob")])
def test_an_approved_report_names_who_approved(override: bool, approved_by: str, who: str) -> None:
    report = render_markdown(verdict(Removal("a", "delete", "m", ""), override=override, approved_by=approved_by))
    assert report.startswith("### FastPix deletion gate: passed\n\n**approved**")
    assert report.endswith(f"\nApproved by {who}, so the gate lets this change through.\n")


def test_a_protected_or_retained_replace_says_so_in_its_row() -> None:
    report = render_markdown(verdict(Removal("p", "delete", "m-p", "P", protected=True),
                                     Removal("q", "replace", "m-q", "Q", protected=True, retained=True)))
    assert "| `p` | delete (protected: the run will fail) | `m-p` | P |\n" in report
    assert "| `q` | replace (old media kept in FastPix) (protected: the run will fail) | `m-q` | Q |\n" in report


def test_pipes_in_keys_ids_and_titles_stay_inside_their_cells() -> None:
    report = render_markdown(verdict(Removal("a|b", "delete", "m|1", "x|y")))
    assert "| `a\\|b` | delete | `m\\|1` | x\\|y |\n" in report


def test_the_first_five_errors_are_quoted_cut_to_500_characters_and_the_rest_counted() -> None:
    errors = tuple(f"error {i} " + "e" * 600 for i in range(7))
    report = render_markdown(verdict(errors=errors))
    quoted = [line for line in report.splitlines() if line.startswith("> The preview failed: ")]
    assert quoted == [f"> The preview failed: error {i} " + "e" * (500 - len(f"error {i} ")) for i in range(5)]
    assert "\n> … and 2 more errors: see the preview's output.\n\n" in report
    five = render_markdown(verdict(errors=errors[:5]))
    assert "more errors" not in five and five.count("> The preview failed: ") == 5
    one = render_markdown(verdict(errors=("a | b",)))
    assert one == ("### FastPix deletion gate: blocked\n\n" + summary_line(verdict(errors=("a | b",))) + "\n\n"
                   "> The preview failed: a \\| b\n\nThis change deletes, releases and replaces no media.\n")


# -- the comment cut ----------------------------------------------------------------------------------------------

def test_a_report_that_fits_exactly_is_not_cut() -> None:
    full = render_markdown(verdict(*[Removal(f"k{i}", "delete", f"m{i}", "é") for i in range(3)]))
    size = len(full.encode())
    fitted = render_markdown(verdict(*[Removal(f"k{i}", "delete", f"m{i}", "é") for i in range(3)]), max_chars=size)
    assert fitted == full
    cut = render_markdown(verdict(*[Removal(f"k{i}", "delete", f"m{i}", "é") for i in range(3)]), max_chars=size - 1)
    assert "rows not shown" in cut


def test_a_cut_comment_says_how_many_rows_are_left_out_and_where_the_table_is() -> None:
    removals = [Removal(f"k{i}", "delete", f"m{i}", "T") for i in range(20)]
    full = render_markdown(verdict(*removals))
    comment = render_markdown(verdict(*removals), max_chars=len(full) - 100, full_report_hint="the artifact")
    shown = comment.count("| delete |")
    assert 0 < shown < 20
    assert (f"| … | {20 - shown} more rows not shown | | |\n\nThe table is cut to fit a comment: {shown} of 20 rows shown. "
            "The full table is in the artifact.\n\nTo apply it") in comment
    assert comment.endswith("they are then released, not deleted.\n")


def test_a_cut_comment_uses_its_room_leaving_less_than_one_row_and_the_margin_for_digits() -> None:
    removals = [Removal(f"k{i}", "delete", f"m{i}", "T") for i in range(10, 30)]  # rows of one size
    row = len("| `k10` | delete | `m10` | T |\n")
    smallest = len(render_markdown(verdict(*removals), max_chars=1).encode())
    for cap in range(smallest, smallest + 8 * row):
        comment = render_markdown(verdict(*removals), max_chars=cap)
        size = len(comment.encode())
        assert size <= cap and comment.count("| delete |") < 10
        assert cap - size < row + 16, f"room for another row was left unused at a cap of {cap}"


def test_a_comment_too_small_for_any_row_still_has_the_summary_and_the_note() -> None:
    comment = render_markdown(verdict(*[Removal(f"k{i}", "delete", f"m{i}", "T") for i in range(3)]), max_chars=10)
    assert "| delete |" not in comment
    assert "| … | 3 more rows not shown | | |" in comment and "0 of 3 rows shown" in comment


# -- the command line -----------------------------------------------------------------------------------------

@pytest.fixture
def one_delete(tmp_path: Path) -> Path:
    plan = tmp_path / "preview.json"
    plan.write_text(json.dumps({"steps": [step("delete", "intro", title="Intro")]}), encoding="utf-8")
    return plan


@pytest.mark.parametrize("value", ["1", "true", "TRUE", " yes ", "On"])
def test_the_override_variable_approves_when_it_says_yes(one_delete: Path, value: str,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(one_delete)], environ={"FASTPIX_ALLOW_DELETIONS": value}) == 0
    assert "Approved by FASTPIX_ALLOW_DELETIONS / --allow" in capsys.readouterr().out


@pytest.mark.parametrize("environ", [{}, {"FASTPIX_ALLOW_DELETIONS": ""}, {"FASTPIX_ALLOW_DELETIONS": "0"},
                                     {"FASTPIX_ALLOW_DELETIONS": "no"}, {"FASTPIX_ALLOW_DELETIONS": "false"},
                                     {"FASTPIX_ALLOW_DELETIONS": "y"}, {"OTHER": "true"}])
def test_the_override_variable_does_not_approve_otherwise(one_delete: Path, environ: dict[str, str]) -> None:
    assert main([str(one_delete)], environ=environ) == 1


def test_allow_and_a_non_blank_approver_approve_a_blank_one_does_not(one_delete: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(one_delete), "--allow"], environ={}) == 0
    assert main([str(one_delete), "--approved-by", "   "], environ={}) == 1
    capsys.readouterr()
    assert main([str(one_delete), "--approved-by", " alice "], environ={}) == 0
    assert "Approved by @alice, so" in capsys.readouterr().out


def test_the_limits_are_read_from_the_command_line(tmp_path: Path) -> None:
    plan = tmp_path / "preview.json"
    plan.write_text(json.dumps({"steps": [step("delete", "a"), step("delete", "b"), step("replace", "c")]}))
    assert main([str(plan), "--max-deletes", "2", "--max-replaces", "1"], environ={}) == 0
    assert main([str(plan), "--max-deletes", "1", "--max-replaces", "1"], environ={}) == 1
    assert main([str(plan), "--max-deletes", "2", "--max-replaces", "0"], environ={}) == 1
    assert main([str(plan), "--max-deletes", "2"], environ={}) == 1


@pytest.mark.parametrize("option", ["--max-deletes", "--max-replaces"])
def test_a_negative_limit_is_a_usage_error(one_delete: Path, option: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([str(one_delete), option, "-1"], environ={})
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: fastpix-gate ")
    assert err.endswith("\nfastpix-gate: error: --max-deletes and --max-replaces must be 0 or more\n")


def test_a_limit_of_zero_is_allowed(one_delete: Path) -> None:
    assert main([str(one_delete), "--max-deletes", "0", "--max-replaces", "0"], environ={}) == 1


def test_the_preview_is_read_from_standard_input_by_default(monkeypatch: pytest.MonkeyPatch, one_delete: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(one_delete.read_text()))
    assert main([], environ={}) == 1
    assert "| `intro` | delete | `m-1` | Intro |" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO(one_delete.read_text()))
    assert main(["-", "--max-deletes", "1"], environ={}) == 0


def test_input_that_is_not_a_preview_exits_2_saying_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "preview.json"
    plan.write_text("")
    assert main([str(plan)], environ={}) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "fastpix gate: the input is empty: pass the output of `pulumi preview --json`\n"


def test_the_preview_is_read_and_the_reports_written_as_utf8_whatever_the_locale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = builtins.open

    def open_as_in_c_locale(file: Any, mode: str = "r", *args: Any, encoding: str | None = None, **kwargs: Any) -> Any:
        return real_open(file, mode, *args, encoding=encoding or "ascii", **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(builtins, "open", open_as_in_c_locale)
    plan, full, comment = tmp_path / "preview.json", tmp_path / "gate.md", tmp_path / "comment.md"
    plan.write_bytes(json.dumps({"steps": [step("delete", "a", title="Wellen 🌊")]}, ensure_ascii=False).encode())
    assert main([str(plan), "--max-deletes", "1", "--output", str(full), "--comment-output", str(comment)],
                environ={}) == 0
    assert "| Wellen 🌊 |" in capsys.readouterr().out
    assert "| Wellen 🌊 |" in full.read_text(encoding="utf-8") and "| Wellen 🌊 |" in comment.read_text(encoding="utf-8")


def test_the_report_goes_to_stdout_and_the_files_named(one_delete: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    full, comment = tmp_path / "gate.md", tmp_path / "comment.md"
    assert main([str(one_delete), "--stack", "prod", "--output", str(full), "--comment-output", str(comment)],
                environ={}) == 1
    out = capsys.readouterr().out
    assert out.startswith("### FastPix deletion gate (prod): blocked\n")
    assert full.read_text(encoding="utf-8") == out
    assert comment.read_text(encoding="utf-8") == "<!-- fastpix-gate stack=prod -->\n" + out


def test_no_file_is_written_unless_named(one_delete: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main([str(one_delete)], environ={}) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["preview.json"]


def test_the_comment_marker_names_the_default_stack_when_none_is_given(one_delete: Path, tmp_path: Path) -> None:
    comment = tmp_path / "comment.md"
    main([str(one_delete), "--comment-output", str(comment)], environ={})
    assert comment.read_text().startswith("<!-- fastpix-gate stack=default -->\n### FastPix deletion gate: blocked\n")


def test_the_comment_is_cut_to_its_limit_with_the_hint_given(tmp_path: Path) -> None:
    plan, comment = tmp_path / "preview.json", tmp_path / "comment.md"
    plan.write_text(json.dumps({"steps": [step("delete", f"k{i:03d}", f"m-{i}") for i in range(200)]}))
    main([str(plan), "--comment-output", str(comment), "--comment-limit", "3000", "--full-report-hint", "gate.md"],
         environ={})
    text = comment.read_text(encoding="utf-8")
    assert len(text.encode()) <= 3000 and "The full table is in gate.md." in text
    main([str(plan), "--comment-output", str(comment)], environ={})
    text = comment.read_text(encoding="utf-8")
    assert "rows not shown" not in text and text.count("| delete |") == 200, "the default cap holds 200 short rows"
    assert gate.DEFAULT_COMMENT_CAP == 64_000


def test_the_help_explains_each_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"], environ={})
    assert exited.value.code == 0
    raw = capsys.readouterr().out
    assert "\n    pulumi preview --json > preview.json\n    fastpix-gate preview.json [--max-deletes 0]" in raw
    help_text = " ".join(raw.split())
    assert help_text.startswith("usage: fastpix-gate [-h] [--max-deletes MAX_DELETES] [--max-replaces MAX_REPLACES] "
                                "[--allow] [--approved-by LOGIN] [--stack STACK] [--output OUTPUT] "
                                "[--comment-output FILE] [--full-report-hint FULL_REPORT_HINT] [plan]")
    assert " ".join(gate.__doc__.split()) in help_text  # type: ignore[union-attr]
    for text in ("plan preview JSON or event log file; - for standard input",
                 "--allow approved: pass whatever it deletes (or FASTPIX_ALLOW_DELETIONS=true)",
                 "--approved-by LOGIN approved by this person (as the pipeline established it): pass, naming them",
                 "--stack STACK the stack's name, shown in the heading and the comment marker",
                 "--output OUTPUT also write the full Markdown report to this file (a job summary)",
                 "--comment-output FILE also write the pull-request comment: marker first, cut to fit GitHub's limit",
                 "--full-report-hint FULL_REPORT_HINT where a reader finds the full table when the comment is cut"):
        assert text in help_text
    assert "--comment-limit" not in help_text


def test_a_failed_preview_blocks_on_the_command_line_even_when_approved(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "preview.json"
    plan.write_text(json.dumps({"steps": [], "diagnostics": [{"severity": "error", "message": "c is protected"}]}))
    assert main([str(plan), "--allow"], environ={}) == 1
    assert "> The preview failed: c is protected" in capsys.readouterr().out
