"""The base of cxaudit's management commands: text arguments follow cxaudit.textinput's rules."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from cxaudit.textinput import text_problem


class TextRulesCommand(BaseCommand):
    """A management command whose text arguments follow the rules: a NUL, a control character
    or bytes that are not UTF-8 (they reach Python as lone surrogates) in an argument is a
    CommandError naming it, never a traceback from the database. Options named in `paths` are
    file names (any bytes the file system allows)."""

    paths: tuple[str, ...] = ("file",)

    def execute(self, *args, **options):
        for name, value in [*enumerate(args), *options.items()]:
            if name in self.paths or not isinstance(value, str):
                continue
            if problem := text_problem(value):
                label = f"--{name}" if isinstance(name, str) else f"argument {name + 1}"
                raise CommandError(f"{label} {problem}.")
        return super().execute(*args, **options)
