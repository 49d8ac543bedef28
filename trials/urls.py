app_name = "trials"
urlpatterns = []
