"""Shared fixtures for the major-incident tests: a raised incident, its major incident, and
the Major Incident comms list with someone on it (§5.19)."""

import pytest

from comms.lists import MAJOR_INCIDENT_COMMS
from comms.models import DistributionList, DistributionListMember
from tests.factories.incidents import opened_major_incident, raised_incident


@pytest.fixture
def incident(org_user, agent, resolver_group):
    return raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)


@pytest.fixture
def comms_list(db):
    distribution_list = DistributionList.objects.get(name=MAJOR_INCIDENT_COMMS)
    DistributionListMember.objects.create(
        distribution_list=distribution_list, email="stakeholders@supplier.example"
    )
    return distribution_list


@pytest.fixture
def major(incident, agent, incident_manager, comms_list):
    return opened_major_incident(
        incident=incident,
        actor=agent,
        manager=incident_manager,
        public_summary="Suppliers cannot submit settlement data through the DIP.",
    )
