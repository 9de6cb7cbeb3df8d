"""``dangan serve`` and ``dangan user add|list``, registered by ``dangan.cli``."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Annotated

import typer
from sqlalchemy import select

from dangan.settings import Settings
from records.accounts import ROLES, User


def register(app: typer.Typer, get_settings: Callable[[], Settings]) -> None:
    user_app = typer.Typer(help="Local accounts of the review web app.", no_args_is_help=True)
    app.add_typer(user_app, name="user")

    @app.command()
    def serve(host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
              port: Annotated[int, typer.Option()] = 8000,
              secure_cookies: Annotated[bool, typer.Option(
                  "--secure-cookies", help="mark cookies Secure (serve behind HTTPS)")] = False,
              ) -> None:
        """Start the review web app (reviewers, clerks, registrars, admins)."""
        import uvicorn

        from review_ui.app import create_app

        web = create_app(get_settings(), secure_cookies=secure_cookies)
        typer.echo(f"dangan review UI on http://{host}:{port}/ (Ctrl+C to stop)")
        uvicorn.run(web, host=host, port=port, log_level="warning")

    @user_app.command("add")
    def user_add(
        username: Annotated[str, typer.Argument()],
        role: Annotated[list[str], typer.Option("--role", help=f"one of {', '.join(ROLES)}")],
        adoption: Annotated[bool, typer.Option("--adoption",
                                               help="may see adoption records")] = False,
        password_env: Annotated[str | None, typer.Option(
            "--password-env", help="read the password from this environment variable")] = None,
    ) -> None:
        """Create an account (the password is prompted for unless --password-env)."""
        from dangan.runtime import build_runtime
        from review_ui.accounts import AccountError, add_user

        if password_env:
            password = os.environ.get(password_env, "")
            if not password:
                typer.echo(f"dangan: ${password_env} is empty or unset", err=True)
                raise typer.Exit(2)
        else:
            password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
        rt = build_runtime(get_settings())
        try:
            with rt.db.session() as s:
                add_user(s, username, password, role, may_see_adoption=adoption)
        except AccountError as e:
            typer.echo(f"dangan: {e}", err=True)
            raise typer.Exit(2) from e
        finally:
            rt.close()
        typer.echo(f"user {username} added: {', '.join(sorted(set(role)))}"
                   f"{' + adoption' if adoption else ''}")

    @user_app.command("list")
    def user_list() -> None:
        """Accounts with their roles."""
        from dangan.runtime import build_runtime

        rt = build_runtime(get_settings())
        try:
            with rt.db.session() as s:
                for u in s.scalars(select(User).order_by(User.username)):
                    extra = " adoption" if u.may_see_adoption else ""
                    state = "" if u.active else " (disabled)"
                    typer.echo(f"{u.username}\t{','.join(u.roles)}{extra}{state}")
        finally:
            rt.close()
