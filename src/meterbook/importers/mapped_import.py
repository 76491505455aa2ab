"""One batch of files, each read by its recognised format or by a column mapping chosen for it
(the app's Imports page: a drop may mix known exports and files mapped in the dialog), and the
mappings people asked to remember saved once the import went through."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from meterbook.importers import pipeline
from meterbook.importers.mapping import ColumnMapping
from meterbook.importers.mapping_profiles import save_profile
from meterbook.importers.sources import FileSource


@dataclass(eq=False)
class Mapped:
    """A column mapping chosen for some files, and the profile name to remember it under."""

    mapping: ColumnMapping
    save_as: str | None

    @property
    def label(self) -> str:
        return self.save_as or "column mapping"


def import_mapped(db, paths: list[str], mapped: dict[str, Mapped], skip_bad_lines: bool,
                  progress=None, cancelled=None) -> pipeline.ImportSummary:
    """The files as one batch, each read by its format or its mapping (`mapped` by path); then
    the mappings to remember are saved (only once the import went through: a refused or
    cancelled import changes nothing)."""
    choices = list({id(mapped.get(p)): mapped.get(p) for p in paths}.values())
    with db.engine.connect() as conn:
        sources = [FileSource(Path(p), conn=conn, mapping=m and m.mapping,
                              profile=m and m.label) for p in paths for m in [mapped.get(p)]]
    summary = pipeline.import_sources(db, sources, skip_bad_lines=skip_bad_lines,
                                      progress=progress, cancelled=cancelled)
    to_save = {m.save_as: m.mapping for m in choices if m is not None and m.save_as}
    if to_save:
        with db.session() as session:
            for name, mapping in to_save.items():
                save_profile(session, name, mapping)
            session.commit()
    return summary
