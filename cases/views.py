from django.http import Http404


def _pending(request, *args, **kwargs):
    raise Http404("being written")


home = case_list = case_create = case_detail = case_comment = case_attachment_add = _pending
case_confirm = case_reject = attachment_download = organisation_members = _pending
