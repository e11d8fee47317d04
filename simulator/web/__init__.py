"""The web UI: the online hall (网上服务大厅) as the guide shows it, the unit centre and
the trainer console — server-rendered Jinja pages over the same platform as the API.

Blueprints (registered by :mod:`simulator.web.plugin` through ``register_blueprints``):

* ``web`` — the landing page, static CSS/JS (served by the app itself: a classroom
  may be offline) and the public page that verifies a certificate's QR code;
* ``web_hall`` — ``/s/<sandbox_id>/``: 大厅首页, 单位办事—社会保险, each item's form
  (guide §三), the batch tabs and 处理详情, the personal side the errors send to;
* ``web_centre`` — ``/s/<sandbox_id>/centre/``: 单位中心 (guide §四);
* ``web_auth`` — ``/s/<sandbox_id>/login``: unit login (Flask-Login over the unit
  accounts), logout, 忘记密码 (guide §五 问题二);
* ``web_trainer`` — ``/trainer/``: the trainer console, behind the trainer password.

The hall works on one sandbox per browser session, named in the URL, so that a
trainer hands each trainee a link.  Every page's header shows the sandbox clock's
date and the period state (申报期 / 暂停申报期).  Pages never decide a rule: every
business goes through ``Platform.submit`` with the logged-in actor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:
    from simulator.platform import Platform


def platform() -> Platform:
    """The :class:`~simulator.platform.Platform` of the current application."""
    return current_app.extensions["shebao_sim"]  # type: ignore[no-any-return]
