"""Imports every module that defines tables, so Base.metadata is complete (Alembic, tests)."""

from dataskydd.access import models as access_models
from dataskydd.analytics import models as web_analytics_models
from dataskydd.analytics import rollup_models as web_rollup_models
from dataskydd.audit import models as audit_models
from dataskydd.auth import models as auth_models
from dataskydd.breaches import models as breach_models
from dataskydd.consent import models as consent_models
from dataskydd.disclosures import models as disclosure_models
from dataskydd.imports import models as import_models
from dataskydd.jobs import models as job_models
from dataskydd.mail import models as mail_models
from dataskydd.recipient_exports import models as recipient_export_models
from dataskydd.recipients import models as recipient_models
from dataskydd.recommendations import models as recommendation_models
from dataskydd.register import models as register_models
from dataskydd.retention import models as retention_models
from dataskydd.subject_requests import models as subject_request_models

ALL_MODEL_MODULES = (
    audit_models,
    auth_models,
    mail_models,
    register_models,
    subject_request_models,
    consent_models,
    web_analytics_models,
    web_rollup_models,
    access_models,
    retention_models,
    job_models,
    recipient_models,
    recipient_export_models,
    disclosure_models,
    breach_models,
    import_models,
    recommendation_models,
)
