from django import forms


class SearchForm(forms.Form):
    # CharField refuses NUL characters, which PostgreSQL cannot store or compare.
    q = forms.CharField(required=False, max_length=200)

    def query(self) -> str:
        return self.cleaned_data.get("q", "") if self.is_valid() else ""
