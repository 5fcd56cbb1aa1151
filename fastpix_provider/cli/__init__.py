"""The command-line tools of fastpix-pulumi, apart from the provider.

Each imports only what it needs: the gate and the pipeline's GitHub steps never load the Pulumi SDK or
grpc (`fastpix-gate --help` starts in a fraction of a second).

    fastpix-pipeline plan|apply    the GitOps pipeline's plan and apply jobs (pipeline.py)
    fastpix-pr-comment             one pull-request comment per stack, found by its marker
    fastpix-drift-issue            the scheduled drift check: one issue per stack
"""

# How the tools recognise a Media among a state's or a preview's resources (type
# `pulumi-python:dynamic/fastpix:Media`, resource.MEDIA_TYPE, which they do not import: it loads the SDK).
MEDIA_TYPE_SUFFIX = "fastpix:Media"
