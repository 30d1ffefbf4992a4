"""Catalogues may be split into part files per language; a key is defined in one place only."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.catalogue import load_catalogues


def _write(folder: Path, name: str, body: str) -> None:
    (folder / name).write_text(body, encoding="utf-8")


def test_part_files_add_keys_to_their_language(tmp_path: Path) -> None:
    _write(tmp_path, "vi.toml", '[menu]\nprompt = "Bạn muốn làm gì?"\n')
    _write(tmp_path, "en.toml", '[menu]\nprompt = "What would you like to do?"\n')
    _write(tmp_path, "vi.audit.toml", '[audit]\nheader = "Nhật ký"\n')
    _write(tmp_path, "en.audit.toml", '[audit]\nheader = "Audit log"\n')
    books = load_catalogues(tmp_path)
    assert books["vi"].t("audit.header") == "Nhật ký"
    assert books["en"].t("menu.prompt") == "What would you like to do?"


def test_a_key_defined_in_two_files_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "vi.toml", '[menu]\nprompt = "Bạn muốn làm gì?"\n')
    _write(tmp_path, "en.toml", '[menu]\nprompt = "What would you like to do?"\n')
    _write(tmp_path, "vi.extra.toml", '[menu]\nprompt = "Lần nữa"\n')
    _write(tmp_path, "en.extra.toml", '[menu]\nprompt = "Again"\n')
    with pytest.raises(ValueError, match=r"vi\.extra\.toml: menu\.prompt is defined twice"):
        load_catalogues(tmp_path)
