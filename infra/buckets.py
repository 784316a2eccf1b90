"""What every bucket of Guichet's stacks has: private, encrypted, owned by its account, TLS only."""

from __future__ import annotations

from typing import Any


def private_bucket_properties() -> dict[str, Any]:
    """An S3 bucket's properties: encrypted at rest (with a bucket key), public access blocked in
    every way, objects owned by the bucket's account (no ACL)."""
    return {
        "BucketEncryption": {
            "ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}
            ]
        },
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        },
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
    }


def tls_only(bucket: str) -> dict[str, Any]:
    """The bucket policy statement refusing every request to the bucket (logical id) not over TLS."""
    return {
        "Sid": "TlsOnly",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [{"Fn::GetAtt": [bucket, "Arn"]}, {"Fn::Sub": f"${{{bucket}.Arn}}/*"}],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
