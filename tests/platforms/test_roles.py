from rumorcases.core import roles
from tests.conftest import make_user


def test_supervisors_manage_api_tokens_and_auditors_only_read_them(db):
    supervisor = make_user("sv", roles.SUPERVISOR)
    auditor = make_user("au", roles.AUDITOR)
    publisher = make_user("pb", roles.PUBLISHER)
    assert supervisor.has_perm("platforms.add_apitoken")
    assert supervisor.has_perm("platforms.change_webhookdelivery")
    assert auditor.has_perm("platforms.view_apitoken") and not auditor.has_perm("platforms.add_apitoken")
    assert auditor.has_perm("platforms.view_webhookdelivery")
    assert not auditor.has_perm("platforms.change_webhookdelivery")
    assert not publisher.has_perm("platforms.add_apitoken")
