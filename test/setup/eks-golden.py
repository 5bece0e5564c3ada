"""Prints the token aws-cli's own TokenGenerator signs for fixed credentials and a frozen clock:
the golden values in test/unit/eks-token.test.ts. Run with an empty environment so no real
credentials or config are read:  env -i PATH=$PATH HOME=/tmp python3 eks-golden.py [SESSION_TOKEN]"""
import datetime
import sys
from unittest import mock

import botocore.session
from awscli.customizations.eks.get_token import STSClientFactory, TokenGenerator

session = botocore.session.get_session()
session.set_credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sys.argv[1] if len(sys.argv) > 1 else None)
with mock.patch("botocore.auth.get_current_datetime", return_value=datetime.datetime(2026, 1, 2, 3, 4, 5)):
    sts = STSClientFactory(session).get_sts_client(region_name="us-east-1")
    print(TokenGenerator(sts).get_token("kubernetes-aws--flux-prod"))
